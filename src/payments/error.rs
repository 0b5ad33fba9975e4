//! Errors of payment verification: when no verdict could be reached at all.
//!
//! A verdict (confirmed / pending / rejected) is not an error. These are the cases where
//! the bot must say "I couldn't check right now" and keep the hash for a retry, or where
//! the input or the configuration is unusable.

use super::chain::{AddressError, Chain};
use super::hash::HashError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("invalid transaction hash: {0}")]
    InvalidHash(#[from] HashError),
    #[error("invalid receiving address: {0}")]
    InvalidAddress(AddressError),
    #[error("no receiving address is configured for {0}")]
    NoRecipient(Chain),
    /// Down, rate limited, timed out: try again later.
    #[error("{chain} explorer unavailable: {detail}")]
    Unavailable { chain: Chain, detail: String },
    /// The explorer refused the request itself (bad API key, unsupported parameters):
    /// retrying will not help until the configuration changes.
    #[error("{chain} explorer refused the request: {detail}")]
    Refused { chain: Chain, detail: String },
    /// The response did not have the documented shape.
    #[error("unexpected response from the {chain} explorer: {detail}")]
    Malformed { chain: Chain, detail: String },
}

impl VerifyError {
    /// Whether the same request may succeed later without any change on our side.
    /// A malformed body is usually an error page from a proxy in front of the API.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            VerifyError::Unavailable { .. } | VerifyError::Malformed { .. }
        )
    }

    /// One kind sentence for the trader.
    pub fn user_message(&self) -> String {
        match self {
            VerifyError::InvalidHash(e) => e.user_message().to_string(),
            VerifyError::InvalidAddress(e) => format!("That isn't a valid receiving address: {e}."),
            VerifyError::NoRecipient(chain) => {
                format!("Payments on {chain} are not enabled on this bot.")
            }
            VerifyError::Unavailable { chain, .. } | VerifyError::Malformed { chain, .. } => {
                format!(
                    "I can't reach the {chain} network right now; I've kept your transaction and will check it again shortly."
                )
            }
            VerifyError::Refused { chain, .. } => format!(
                "I can't check {chain} payments right now because of a setup problem on our side; the operator has been told."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retryable() {
        let unavailable = VerifyError::Unavailable {
            chain: Chain::Tron,
            detail: "HTTP 503".into(),
        };
        assert!(unavailable.is_retryable());
        assert!(unavailable.user_message().contains("TRON"));
        assert!(
            !VerifyError::Refused {
                chain: Chain::Ethereum,
                detail: "Missing/Invalid API Key".into()
            }
            .is_retryable()
        );
        assert!(!VerifyError::InvalidHash(HashError::Empty).is_retryable());
    }
}
