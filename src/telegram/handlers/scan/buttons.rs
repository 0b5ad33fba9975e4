//! The report's buttons and their callback data, encoded compactly: Telegram allows at most
//! 64 bytes of `callback_data`, and an address alone takes up to 44.
//!
//! Format: `scan:<action>:<chain>:<address>` where the chain is an EVM chain id, `sol`,
//! `trx`, or `any` (not chosen yet). The longest, a pick on Avalanche or on Solana, is 58
//! bytes.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::input::{Target, target};
use crate::risk::Chain;

/// What a scan button asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A chain from the multi-chain keyboard.
    Pick,
    /// Ask upstream again, ignoring the cache.
    Rescan,
    /// The expanded view with every check.
    AllChecks,
    /// Back to the compact view.
    TopReasons,
}

impl Action {
    fn code(self) -> &'static str {
        match self {
            Action::Pick => "pick",
            Action::Rescan => "re",
            Action::AllChecks => "all",
            Action::TopReasons => "top",
        }
    }

    fn from_code(code: &str) -> Option<Action> {
        Some(match code {
            "pick" => Action::Pick,
            "re" => Action::Rescan,
            "all" => Action::AllChecks,
            "top" => Action::TopReasons,
            _ => return None,
        })
    }
}

/// One pressed (or to be drawn) scan button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanButton {
    pub action: Action,
    pub target: Target,
}

impl ScanButton {
    pub fn new(action: Action, address: &str, chain: Option<Chain>) -> ScanButton {
        ScanButton {
            action,
            target: Target {
                address: address.to_string(),
                chain,
            },
        }
    }

    /// The full `callback_data`, prefix included.
    pub fn data(&self) -> String {
        format!(
            "scan:{}:{}:{}",
            self.action.code(),
            chain_code(self.target.chain),
            self.target.address
        )
    }

    /// Reads the part after `scan:`. `None` for anything we did not produce, including an
    /// address that no longer validates or does not fit its chain.
    pub fn parse(rest: &str) -> Option<ScanButton> {
        let mut parts = rest.splitn(3, ':');
        let action = Action::from_code(parts.next()?)?;
        let chain = match parts.next()? {
            "any" => None,
            code => Some(code.parse::<Chain>().ok()?),
        };
        if action != Action::Rescan && chain.is_none() {
            return None;
        }
        let target = target(parts.next()?, chain).ok()?;
        Some(ScanButton { action, target })
    }

    fn button(&self, label: &str) -> InlineKeyboardButton {
        InlineKeyboardButton::callback(label, self.data())
    }
}

fn chain_code(chain: Option<Chain>) -> String {
    match chain {
        None => "any".to_string(),
        Some(Chain::Solana) => "sol".to_string(),
        Some(Chain::Tron) => "trx".to_string(),
        Some(evm) => evm
            .evm_chain_id()
            .map_or_else(|| evm.name().to_string(), |id| id.to_string()),
    }
}

/// Under a report: Rescan, and the toggle between the top reasons and every check.
pub fn report_keyboard(address: &str, chain: Chain, expanded: bool) -> InlineKeyboardMarkup {
    let rescan = ScanButton::new(Action::Rescan, address, Some(chain)).button("🔄 Rescan");
    let toggle = if expanded {
        ScanButton::new(Action::TopReasons, address, Some(chain)).button("⬆️ Top reasons")
    } else {
        ScanButton::new(Action::AllChecks, address, Some(chain)).button("📋 All checks")
    };
    InlineKeyboardMarkup::new(vec![vec![rescan, toggle]])
}

/// Under a failed scan that may work later.
pub fn rescan_keyboard(address: &str, chain: Option<Chain>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        ScanButton::new(Action::Rescan, address, chain).button("🔄 Rescan"),
    ]])
}

/// One button per chain the token exists on, two per row.
pub fn pick_keyboard(address: &str, chains: &[Chain]) -> InlineKeyboardMarkup {
    let buttons: Vec<InlineKeyboardButton> = chains
        .iter()
        .map(|chain| {
            ScanButton::new(Action::Pick, address, Some(*chain)).button(chain.display_name())
        })
        .collect();
    InlineKeyboardMarkup::new(buttons.chunks(2).map(<[_]>::to_vec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::detect;

    /// Telegram's limit on `callback_data`, in bytes.
    const CALLBACK_DATA_LIMIT: usize = 64;

    /// The longest addresses each family can have.
    const EVM: &str = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
    const SOLANA_44: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
    const TRON: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

    fn every_button() -> Vec<ScanButton> {
        let mut buttons = Vec::new();
        for action in [
            Action::Pick,
            Action::Rescan,
            Action::AllChecks,
            Action::TopReasons,
        ] {
            for chain in Chain::ALL {
                let address = match chain {
                    Chain::Solana => SOLANA_44,
                    Chain::Tron => TRON,
                    _ => EVM,
                };
                buttons.push(ScanButton::new(action, address, Some(chain)));
            }
            for address in [EVM, SOLANA_44, TRON] {
                buttons.push(ScanButton::new(action, address, None));
            }
        }
        buttons
    }

    #[test]
    fn every_button_fits_telegrams_limit() {
        let longest = every_button()
            .iter()
            .map(|b| b.data().len())
            .max()
            .unwrap_or(0);
        assert!(longest <= CALLBACK_DATA_LIMIT, "{longest} bytes");
        assert_eq!(longest, 58);
    }

    #[test]
    fn buttons_read_back_as_they_were_drawn() {
        for button in every_button() {
            let data = button.data();
            let rest = data.strip_prefix("scan:").expect("prefix");
            let parsed = ScanButton::parse(rest);
            if button.action != Action::Rescan && button.target.chain.is_none() {
                assert_eq!(parsed, None, "{data}");
            } else {
                assert_eq!(parsed, Some(button), "{data}");
            }
        }
        assert_eq!(
            ScanButton::new(Action::Pick, EVM, Some(Chain::Avalanche)).data(),
            format!("scan:pick:43114:{EVM}")
        );
    }

    #[test]
    fn foreign_or_tampered_data_is_refused() {
        let lower = EVM.to_ascii_lowercase();
        for rest in [
            "",
            "pick",
            "pick:1",
            "zap:1:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            "pick:999:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            "pick:sol:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            "all:1:0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2",
            "top:1:not-an-address",
        ] {
            assert_eq!(ScanButton::parse(rest), None, "{rest}");
        }
        // Lowercase input comes back in its display form.
        let parsed = ScanButton::parse(&format!("all:1:{lower}")).expect("valid");
        assert_eq!(parsed.target.address, detect(EVM).expect("valid").display());
    }

    #[test]
    fn keyboards_offer_the_right_buttons() {
        let labels = |keyboard: InlineKeyboardMarkup| -> Vec<String> {
            keyboard
                .inline_keyboard
                .iter()
                .flatten()
                .map(|b| b.text.clone())
                .collect()
        };
        assert_eq!(
            labels(report_keyboard(EVM, Chain::Ethereum, false)),
            vec!["🔄 Rescan", "📋 All checks"]
        );
        assert_eq!(
            labels(report_keyboard(EVM, Chain::Ethereum, true)),
            vec!["🔄 Rescan", "⬆️ Top reasons"]
        );
        let pick = pick_keyboard(EVM, &[Chain::Ethereum, Chain::Bsc, Chain::Base]);
        assert_eq!(pick.inline_keyboard.len(), 2);
        assert_eq!(labels(pick), vec!["Ethereum", "BNB Chain", "Base"]);
    }
}
