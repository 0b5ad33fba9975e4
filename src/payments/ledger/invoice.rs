//! An invoice as the payments domain sees it: typed token, exact amount, UTC window.

use chrono::{DateTime, Utc};

use super::LedgerError;
use crate::payments::amount::Amount;
use crate::payments::chain::Chain;
use crate::payments::invoice_amount::OpenInvoice;
use crate::payments::tokens::Token;
use crate::payments::verdict::Expectation;
use crate::payments::verifier::VerifyRequest;
use crate::store::{InvoiceRecord, InvoiceStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub plan: String,
    pub days: i64,
    pub token: Token,
    /// Exactly what is due, unique sub-cent digits included.
    pub amount: Amount,
    /// Our receiving address when the invoice was made (normalized).
    pub recipient: String,
    pub status: InvoiceStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Invoice {
    pub fn chain(&self) -> Chain {
        self.token.chain()
    }

    /// Reads a stored row; a row naming an unknown chain, token or time is refused rather
    /// than guessed at.
    pub fn from_record(record: &InvoiceRecord) -> Result<Invoice, LedgerError> {
        let corrupt = |what: &str| LedgerError::CorruptInvoice {
            id: record.id,
            detail: what.to_string(),
        };
        let chain: Chain = record.chain.parse().map_err(|_| corrupt("unknown chain"))?;
        let token =
            Token::by_contract(chain, &record.token).ok_or_else(|| corrupt("unknown token"))?;
        let amount = Amount::from_i64(record.amount).ok_or_else(|| corrupt("negative amount"))?;
        let time =
            |seconds: i64| DateTime::from_timestamp(seconds, 0).ok_or_else(|| corrupt("time"));
        Ok(Invoice {
            id: record.id,
            user_id: record.user_id,
            chat_id: record.chat_id,
            plan: record.plan.clone(),
            days: record.days,
            token,
            amount,
            recipient: record.recipient.clone(),
            status: record.status,
            created_at: time(record.created_at)?,
            expires_at: time(record.expires_at)?,
        })
    }

    /// The verifier request for paying this invoice with `tx_hash`. The recipient is the
    /// one printed on the invoice, even if the operator changed the address since.
    pub fn request(&self, tx_hash: &str) -> VerifyRequest {
        VerifyRequest {
            to: Some(self.recipient.clone()),
            ..VerifyRequest::for_invoice(
                tx_hash,
                self.token,
                self.amount,
                self.created_at,
                self.expires_at,
            )
        }
    }

    /// What a transaction must show to pay this invoice (for re-judging an observation
    /// already fetched for another invoice on the same chain).
    pub fn expectation(&self, min_confirmations: u64) -> Expectation {
        Expectation {
            chain: self.chain(),
            recipient: self.recipient.clone(),
            tokens: vec![self.token],
            min_amount: self.amount,
            not_before: Some(self.created_at),
            not_after: Some(self.expires_at),
            min_confirmations,
        }
    }

    pub fn as_open(&self) -> OpenInvoice<i64> {
        OpenInvoice {
            id: self.id,
            token: self.token,
            recipient: self.recipient.clone(),
            amount: self.amount,
            not_before: self.created_at,
            not_after: self.expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::tokens::TRON_USDT;

    fn record() -> InvoiceRecord {
        InvoiceRecord {
            id: 4,
            user_id: 7,
            chat_id: 7,
            plan: "monthly".into(),
            days: 30,
            chain: "tron".into(),
            token: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t".into(),
            amount: 9_990_003,
            recipient: "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H".into(),
            status: InvoiceStatus::Created,
            created_at: 1_700_000_000,
            expires_at: 1_700_003_600,
            paid_at: None,
        }
    }

    #[test]
    fn a_stored_invoice_becomes_a_request_for_its_exact_terms() {
        let invoice = Invoice::from_record(&record()).unwrap();
        assert_eq!(invoice.token, TRON_USDT);
        let request = invoice.request("abc");
        assert_eq!(request.chain, Some(Chain::Tron));
        assert_eq!(request.tokens, [TRON_USDT]);
        assert_eq!(request.min_amount, Some(Amount::from_base_units(9_990_003)));
        assert_eq!(
            request.to.as_deref(),
            Some("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H")
        );
        assert_eq!(request.not_after.unwrap().timestamp(), 1_700_003_600);
    }

    #[test]
    fn unknown_tokens_are_never_guessed() {
        let fake = InvoiceRecord {
            token: "TAj8fiMfB1iQQshHtLGPoFWZCNVdai9fqG".into(),
            ..record()
        };
        assert!(matches!(
            Invoice::from_record(&fake),
            Err(LedgerError::CorruptInvoice { id: 4, .. })
        ));
        let chain = InvoiceRecord {
            chain: "bsc".into(),
            ..record()
        };
        assert!(Invoice::from_record(&chain).is_err());
    }
}
