//! Our Solana token accounts, derived locally.
//!
//! SPL tokens arrive in the receiving wallet's associated token account (ATA), and a
//! transfer into an existing ATA does not mention the wallet at all. So the watcher lists
//! the signatures of the ATA, which is the program-derived address
//! `find_program_address([wallet, token_program, mint], associated_token_program)`:
//! the first `sha256(seeds ‖ bump ‖ program ‖ "ProgramDerivedAddress")`, bump from 255
//! down, that is *not* a point on the ed25519 curve.

use alloy_primitives::U256;
use sha2::{Digest, Sha256};

/// The SPL Token program, owner of USDC and USDT mints on Solana.
pub const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
pub const ASSOCIATED_TOKEN_PROGRAM: &str = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenAccountError {
    #[error("{0} is not a 32-byte base58 key")]
    BadKey(String),
    #[error("no off-curve address for these seeds")]
    NoBump,
}

/// The associated token account of `wallet` for `mint` (both base58).
pub fn associated_token_address(wallet: &str, mint: &str) -> Result<String, TokenAccountError> {
    let seeds = [key(wallet)?, key(TOKEN_PROGRAM)?, key(mint)?];
    let program = key(ASSOCIATED_TOKEN_PROGRAM)?;
    for bump in (0..=u8::MAX).rev() {
        let mut hasher = Sha256::new();
        for seed in &seeds {
            hasher.update(seed);
        }
        hasher.update([bump]);
        hasher.update(program);
        hasher.update(b"ProgramDerivedAddress");
        let candidate: [u8; 32] = hasher.finalize().into();
        if !is_on_ed25519_curve(&candidate) {
            return Ok(bs58::encode(candidate).into_string());
        }
    }
    Err(TokenAccountError::NoBump)
}

fn key(text: &str) -> Result<[u8; 32], TokenAccountError> {
    bs58::decode(text)
        .into_vec()
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| TokenAccountError::BadKey(text.to_string()))
}

/// Whether 32 bytes decompress to an ed25519 point, as a validator decides it: take y
/// (little-endian, sign bit cleared, reduced mod p) and accept when
/// x² = (y² − 1) / (d·y² + 1) has a square root mod p = 2²⁵⁵ − 19.
pub fn is_on_ed25519_curve(bytes: &[u8; 32]) -> bool {
    let p = field_prime();
    let mut le = *bytes;
    le[31] &= 0x7f;
    let y = U256::from_le_bytes(le).reduce_mod(p);
    let one = U256::from(1u8);
    let y2 = y.mul_mod(y, p);
    let u = y2.add_mod(p - one, p);
    let v = curve_d(p).mul_mod(y2, p).add_mod(one, p);
    // u/v is a square exactly when u·v is (v is never 0: −1/d is not a square).
    let uv = u.mul_mod(v, p);
    if uv.is_zero() {
        return true;
    }
    // Euler's criterion: a^((p−1)/2) is 1 for squares, p−1 for non-squares.
    uv.pow_mod((p - one) >> 1, p) == one
}

fn field_prime() -> U256 {
    (U256::from(1u8) << 255) - U256::from(19u8)
}

/// d = −121665 / 121666 mod p.
fn curve_d(p: U256) -> U256 {
    let inverse = U256::from(121_666u32).inv_mod(p).unwrap_or_default();
    (p - U256::from(121_665u32)).mul_mod(inverse, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDC: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";

    #[test]
    fn the_recorded_transfer_created_the_payees_associated_account() {
        // From the recorded USDC transferChecked: its first instruction creates account
        // H51D… for wallet 3i47… and mint EPjF…, and the transfer pays into it.
        assert_eq!(
            associated_token_address("3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui", USDC).unwrap(),
            "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh"
        );
    }

    #[test]
    fn curve_membership_matches_known_points() {
        // The ed25519 base point (y = 4/5) and the identity (y = 1) are on the curve.
        let mut base = [0x66u8; 32];
        base[0] = 0x58;
        assert!(is_on_ed25519_curve(&base));
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(is_on_ed25519_curve(&identity));
        // A derived address is off the curve by construction.
        let ata = key("H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh").unwrap();
        assert!(!is_on_ed25519_curve(&ata));
        // Real wallets are public keys, hence on the curve.
        let wallet = key("3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui").unwrap();
        assert!(is_on_ed25519_curve(&wallet));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(matches!(
            associated_token_address("not-a-key", USDC),
            Err(TokenAccountError::BadKey(_))
        ));
    }
}
