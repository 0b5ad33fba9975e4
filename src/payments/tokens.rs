//! The official stablecoin contracts tiltguard accepts, as constants.
//!
//! A token is identified only by its contract (or mint) address on its chain. Symbols and
//! names in explorer responses are attacker-controlled text ("USDT" is one deploy away),
//! so nothing here is ever looked up by symbol, and decimals are never read from a response.

use std::fmt;

use super::amount::{Amount, AmountError};
use super::chain::Chain;

/// Decimals of every token tiltguard accepts (USDT and USDC on Ethereum, TRON, Solana).
pub const STABLECOIN_DECIMALS: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stablecoin {
    Usdt,
    Usdc,
}

impl Stablecoin {
    pub fn symbol(self) -> &'static str {
        match self {
            Stablecoin::Usdt => "USDT",
            Stablecoin::Usdc => "USDC",
        }
    }
}

/// One official token contract on one chain. Only the constants below exist, so a
/// `Token` value is proof that the contract is official.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token {
    chain: Chain,
    coin: Stablecoin,
    contract: &'static str,
}

pub const ETHEREUM_USDT: Token = Token {
    chain: Chain::Ethereum,
    coin: Stablecoin::Usdt,
    contract: "0xdAC17F958D2ee523a2206206994597C13D831ec7",
};
pub const ETHEREUM_USDC: Token = Token {
    chain: Chain::Ethereum,
    coin: Stablecoin::Usdc,
    contract: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
};
pub const TRON_USDT: Token = Token {
    chain: Chain::Tron,
    coin: Stablecoin::Usdt,
    contract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
};
pub const SOLANA_USDC: Token = Token {
    chain: Chain::Solana,
    coin: Stablecoin::Usdc,
    contract: "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
};
pub const SOLANA_USDT: Token = Token {
    chain: Chain::Solana,
    coin: Stablecoin::Usdt,
    contract: "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
};

pub const OFFICIAL_TOKENS: [Token; 5] = [
    ETHEREUM_USDT,
    ETHEREUM_USDC,
    TRON_USDT,
    SOLANA_USDC,
    SOLANA_USDT,
];

impl Token {
    pub fn chain(self) -> Chain {
        self.chain
    }

    pub fn coin(self) -> Stablecoin {
        self.coin
    }

    pub fn symbol(self) -> &'static str {
        self.coin.symbol()
    }

    /// Contract address (EVM, TRON) or mint (Solana), canonical spelling.
    pub fn contract(self) -> &'static str {
        self.contract
    }

    pub fn decimals(self) -> u32 {
        STABLECOIN_DECIMALS
    }

    /// Every official token on `chain`.
    pub fn on_chain(chain: Chain) -> impl Iterator<Item = Token> {
        OFFICIAL_TOKENS
            .into_iter()
            .filter(move |t| t.chain == chain)
    }

    /// The official `coin` on `chain`, if there is one (there is no USDC on TRON here).
    pub fn find(chain: Chain, coin: Stablecoin) -> Option<Token> {
        Token::on_chain(chain).find(|t| t.coin == coin)
    }

    /// The official token whose contract is `contract` on `chain`. EVM hex compares
    /// case-insensitively; base58 (TRON, Solana) is case-sensitive by nature.
    pub fn by_contract(chain: Chain, contract: &str) -> Option<Token> {
        let contract = contract.trim();
        Token::on_chain(chain).find(|t| match chain {
            Chain::Ethereum => t.contract.eq_ignore_ascii_case(contract),
            Chain::Tron | Chain::Solana => t.contract == contract,
        })
    }

    /// "20.939174" for this token's decimals.
    pub fn format_amount(self, amount: Amount) -> String {
        amount.to_decimal_string(self.decimals())
    }

    /// Parses decimal text ("12.50") in this token's units.
    pub fn parse_amount(self, text: &str) -> Result<Amount, AmountError> {
        Amount::parse_decimal(text, self.decimals())
    }
}

impl fmt::Display for Token {
    /// "USDT on TRON"
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.symbol(), self.chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::chain::normalize_address;

    #[test]
    fn every_official_contract_is_a_valid_canonical_address() {
        for token in OFFICIAL_TOKENS {
            assert_eq!(
                normalize_address(token.chain(), token.contract()).unwrap(),
                token.contract(),
                "{token}"
            );
            assert_eq!(token.decimals(), 6);
        }
    }

    #[test]
    fn lookup_is_by_contract_only() {
        assert_eq!(
            Token::by_contract(
                Chain::Ethereum,
                "0xdac17f958d2ee523a2206206994597c13d831ec7"
            ),
            Some(ETHEREUM_USDT)
        );
        assert_eq!(
            Token::by_contract(Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            Some(TRON_USDT)
        );
        // The same contract text on another chain is not that token.
        assert_eq!(
            Token::by_contract(Chain::Solana, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            None
        );
        // base58 is case-sensitive: a look-alike with one case flipped is not official.
        assert_eq!(
            Token::by_contract(Chain::Tron, "tR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            None
        );
        assert_eq!(Token::by_contract(Chain::Ethereum, "USDT"), None);
    }

    #[test]
    fn tokens_per_chain_match_the_offer() {
        let symbols = |chain| {
            Token::on_chain(chain)
                .map(Token::symbol)
                .collect::<Vec<_>>()
        };
        assert_eq!(symbols(Chain::Ethereum), ["USDT", "USDC"]);
        assert_eq!(symbols(Chain::Tron), ["USDT"]);
        assert_eq!(symbols(Chain::Solana), ["USDC", "USDT"]);
        assert_eq!(Token::find(Chain::Tron, Stablecoin::Usdc), None);
        assert_eq!(
            Token::find(Chain::Solana, Stablecoin::Usdt),
            Some(SOLANA_USDT)
        );
    }

    #[test]
    fn amounts_format_in_token_units() {
        assert_eq!(
            ETHEREUM_USDT.format_amount(Amount::from_base_units(20_939_174)),
            "20.939174"
        );
        assert_eq!(
            TRON_USDT.parse_amount("0.1").unwrap(),
            Amount::from_base_units(100_000)
        );
        assert_eq!(SOLANA_USDC.to_string(), "USDC on Solana");
    }
}
