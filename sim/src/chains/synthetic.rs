//! Fresh payments for end-to-end tests: a recorded transaction copied, re-addressed and
//! re-dated, exactly as each explorer would show a new transfer to a given address.
//!
//! Ethereum starts from the Etherscan receipt docs sample, TRON from the Tronscan USDT
//! capture, Solana from the USDC `transferChecked` capture (which also creates the payee's
//! token account, so its instructions stay true for any payee).

use serde_json::{Value, json};

use super::base58;
use super::etherscan::address_topic;
use super::spoof::{replace_strings, ui_token_amount};
use super::state::{Commitment, SolanaTx};
use super::{ChainSim, recorded};

const TRON_USDT_CAPTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/tron/tronscan_transaction_info_usdt_trc20_2020_f6301aa7.json"
));
const SOLANA_USDC_CAPTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/solana/solana_getTransaction_jsonParsed_usdc_transferChecked_2S2rTZja.json"
));

/// Payee, payer and token in the Tronscan capture.
const TRON_CAPTURE_PAYEE: &str = "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H";
const TRON_CAPTURE_PAYER: &str = "TQQrSXL8WCxeEfkZPHDrG6qX9MistA1XgV";
const TRON_CAPTURE_TOKEN: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
/// Payee wallet, its new token account, the mint and the payer's remaining balance in the
/// Solana capture.
const SOLANA_CAPTURE_OWNER: &str = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";
const SOLANA_CAPTURE_ACCOUNT: &str = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh";
const SOLANA_CAPTURE_MINT: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const SOLANA_CAPTURE_PAYER_LEFT: u128 = 4_847;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// ABI word of a TRON address: 0x41-prefixed account id, left-padded to 32 bytes.
fn tron_address_word(address: &str) -> String {
    let bytes = base58::decode(address).unwrap_or_default();
    let id: String = bytes.iter().take(21).map(|b| format!("{b:02x}")).collect();
    format!("{id:0>64}")
}

impl ChainSim {
    /// Mines a block on top of the head holding a transfer of `amount` base units of
    /// `token` (contract) to `to` at `block_time`; returns the transaction hash. The
    /// transfer has one confirmation; [`ChainSim::mine_eth_blocks`] adds more.
    pub fn pay_eth(&self, token: &str, to: &str, amount: u128, block_time: u64) -> String {
        self.transfer_eth(token, None, to, amount, block_time)
    }

    /// [`ChainSim::pay_eth`] from a chosen sender (`None` keeps the recorded one).
    pub fn transfer_eth(
        &self,
        token: &str,
        from: Option<&str>,
        to: &str,
        amount: u128,
        block_time: u64,
    ) -> String {
        let mut receipt = parse(recorded::ETH_RECEIPT_DOCS)["result"].clone();
        let mut state = self.state();
        let block = state.eth.head + 1;
        let hash = format!("0xa11ce{:059x}", state.next_id());
        for (field, replacement) in [
            ("transactionHash", hash.clone()),
            ("blockNumber", format!("{block:#x}")),
            ("blockHash", format!("0xb10c{block:060x}")),
        ] {
            let original = receipt[field].as_str().unwrap_or("").to_string();
            replace_strings(&mut receipt, &original, &replacement);
        }
        let token = token.to_lowercase();
        receipt["to"] = json!(token);
        let log = &mut receipt["logs"][0];
        log["address"] = json!(token);
        if let Some(from) = from {
            log["topics"][1] = json!(address_topic(from));
        }
        log["topics"][2] = json!(address_topic(to));
        log["data"] = json!(format!("0x{amount:064x}"));
        state.eth.head = block;
        state.eth.block_times.insert(block, block_time);
        state.eth.receipts.insert(hash.clone(), receipt);
        hash
    }

    /// Adds `blocks` empty blocks on top of the Ethereum head.
    pub fn mine_eth_blocks(&self, blocks: u64) {
        self.state().eth.head += blocks;
    }

    /// A TRC-20 transfer of `amount` base units of `token` to `to` at `block_time`;
    /// `confirmed` is Tronscan's finality flag. Returns the transaction hash.
    pub fn pay_tron(
        &self,
        token: &str,
        to: &str,
        amount: u128,
        block_time: u64,
        confirmed: bool,
    ) -> String {
        self.transfer_tron(token, TRON_CAPTURE_PAYER, to, amount, block_time, confirmed)
    }

    /// [`ChainSim::pay_tron`] from a chosen sender.
    pub fn transfer_tron(
        &self,
        token: &str,
        from: &str,
        to: &str,
        amount: u128,
        block_time: u64,
        confirmed: bool,
    ) -> String {
        let mut info = parse(TRON_USDT_CAPTURE);
        let mut state = self.state();
        let hash = format!("7a11ce{:058x}", state.next_id());
        info["hash"] = json!(hash);
        info["timestamp"] = json!(block_time * 1_000);
        info["confirmed"] = json!(confirmed);
        info["confirmations"] = json!(if confirmed { 20 } else { 0 });
        replace_strings(&mut info, TRON_CAPTURE_PAYEE, to);
        replace_strings(&mut info, TRON_CAPTURE_PAYER, from);
        replace_strings(&mut info, TRON_CAPTURE_TOKEN, token);
        if let Some(map) = info["contract_map"].as_object_mut() {
            map.remove(TRON_CAPTURE_PAYEE);
            map.remove(TRON_CAPTURE_PAYER);
            map.insert(from.to_string(), json!(false));
            map.insert(to.to_string(), json!(false));
        }
        let value = json!(amount.to_string());
        info["trc20TransferInfo"][0]["amount_str"] = value.clone();
        info["tokenTransferInfo"]["amount_str"] = value.clone();
        info["trigger_info"]["parameter"]["_value"] = value;
        info["contractData"]["data"] =
            json!(format!("a9059cbb{}{amount:064x}", tron_address_word(to)));
        state.tron.transactions.insert(hash.clone(), info);
        hash
    }

    /// An SPL transfer of `amount` base units of `mint` into `token_account`, owned by
    /// `owner`, at `block_time`, at the given commitment. Returns the signature.
    pub fn pay_solana(
        &self,
        mint: &str,
        owner: &str,
        token_account: &str,
        amount: u128,
        block_time: u64,
        commitment: Commitment,
    ) -> String {
        let mut result = parse(SOLANA_USDC_CAPTURE)["result"].clone();
        let mut state = self.state();
        let mut raw = [0x7au8; 64];
        raw[56..].copy_from_slice(&state.next_id().to_be_bytes());
        let signature = base58::encode(&raw);
        replace_strings(&mut result, SOLANA_CAPTURE_OWNER, owner);
        replace_strings(&mut result, SOLANA_CAPTURE_ACCOUNT, token_account);
        replace_strings(&mut result, SOLANA_CAPTURE_MINT, mint);
        if let Some(first) = result.pointer_mut("/transaction/signatures/0") {
            *first = json!(signature);
        }
        let slot = state.solana.slot + 1;
        result["slot"] = json!(slot);
        result["blockTime"] = json!(block_time);
        // The payer had exactly enough: `amount` moves and the recorded remainder stays.
        for list in ["preTokenBalances", "postTokenBalances"] {
            for balance in result["meta"][list].as_array_mut().into_iter().flatten() {
                let units = if balance["owner"] == owner {
                    amount
                } else if list == "preTokenBalances" {
                    amount + SOLANA_CAPTURE_PAYER_LEFT
                } else {
                    SOLANA_CAPTURE_PAYER_LEFT
                };
                balance["uiTokenAmount"] = ui_token_amount(units, 6);
            }
        }
        for instruction in result["transaction"]["message"]["instructions"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            if let Some(info) = instruction.pointer_mut("/parsed/info")
                && info["tokenAmount"].is_object()
            {
                info["tokenAmount"] = ui_token_amount(amount, 6);
            }
        }
        state.solana.slot = slot + 64;
        state.solana.transactions.insert(
            signature.clone(),
            SolanaTx {
                result,
                version: json!("legacy"),
                commitment,
                confirmations: if commitment == Commitment::Finalized {
                    0
                } else {
                    10
                },
            },
        );
        signature
    }
}
