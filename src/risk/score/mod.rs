//! Risk scoring: turns GoPlus data (and the honeypot.is second opinion) into flags with
//! stable ids, a 0–100 score and a level. Pure; the rules are written up in the README.
//!
//! Every check produces a row (passed, flagged or unknown) so the "All checks" view can list
//! them all; flagged rows also become [`Flag`]s with a one-sentence reason.

mod ids;
pub mod issuers;
mod market;
mod rules_evm;
mod rules_solana;

use serde::Serialize;

use super::detect::{Chain, ChainFamily};
use super::goplus::TokenSecurity;
use super::honeypot::HoneypotVerdict;
pub use ids::FlagId;
pub use issuers::{Issuer, IssuerAllowlist, IssuerKind, IssuerParseError};
pub use market::MarketFacts;

/// How bad one finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Points a flag of this severity adds to the score.
    pub fn weight(self) -> u32 {
        match self {
            Severity::Info => 0,
            Severity::Low => 6,
            Severity::Medium => 20,
            Severity::High => 35,
            Severity::Critical => 60,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    fn from_score(score: u8) -> Level {
        match score {
            80.. => Level::Critical,
            50..=79 => Level::High,
            20..=49 => Level::Medium,
            _ => Level::Low,
        }
    }
}

/// One finding, with a plain-English reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub id: FlagId,
    pub severity: Severity,
    pub detail: String,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "severity")]
pub enum Outcome {
    Passed,
    Flagged(Severity),
    Unknown,
}

/// One row of the "All checks" view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: FlagId,
    pub label: &'static str,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub detail: String,
}

/// The verdict on one token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub score: u8,
    pub level: Level,
    /// Most severe first.
    pub flags: Vec<Flag>,
    pub checks: Vec<Check>,
    pub facts: MarketFacts,
}

/// Everything the scorer looks at.
#[derive(Debug, Clone, Copy)]
pub struct ScoreInput<'a> {
    pub chain: Chain,
    pub goplus: &'a TokenSecurity,
    pub honeypot: Option<&'a HoneypotVerdict>,
    pub issuer: Option<&'a Issuer>,
}

/// Scores one token.
pub fn assess(input: &ScoreInput<'_>) -> Assessment {
    let mut list = Checklist::default();
    let facts = market::facts(input.goplus, input.honeypot);
    match input.chain.family() {
        ChainFamily::Solana => rules_solana::checks(&mut list, input.goplus),
        ChainFamily::Evm | ChainFamily::Tron => {
            rules_evm::checks(&mut list, input.goplus, input.honeypot);
        }
    }
    market::checks(&mut list, input.chain, input.goplus, &facts);
    if let Some(issuer) = input.issuer {
        issuers::apply(&mut list, issuer);
    }
    unknown_data(&mut list, input.chain, input.issuer.is_some());
    let Checklist { checks, mut flags } = list;
    // Stable sort: equal severities keep rule order, which lists the worse rules first.
    flags.sort_by_key(|flag| std::cmp::Reverse(flag.severity));
    let (score, level) = score_flags(&flags);
    Assessment {
        score,
        level,
        flags,
        checks,
        facts,
    }
}

/// Score and level from the flags (see the README).
pub fn score_flags(flags: &[Flag]) -> (u8, Level) {
    let sum: u32 = flags.iter().map(|flag| flag.severity.weight()).sum();
    let mut score = sum.min(100) as u8;
    // Only a critical finding makes a token critical; one high finding makes it high.
    match flags.iter().map(|flag| flag.severity).max() {
        Some(Severity::Critical) => score = score.max(85),
        Some(Severity::High) => score = score.clamp(50, 79),
        _ => score = score.min(79),
    }
    (score, Level::from_score(score))
}

/// Collects check rows and flags while the rules run.
#[derive(Debug, Default)]
pub(crate) struct Checklist {
    pub(crate) checks: Vec<Check>,
    pub(crate) flags: Vec<Flag>,
}

impl Checklist {
    pub(crate) fn pass(&mut self, id: FlagId, label: &'static str, detail: impl Into<String>) {
        self.checks.push(Check {
            id,
            label,
            outcome: Outcome::Passed,
            detail: detail.into(),
        });
    }

    pub(crate) fn unknown(&mut self, id: FlagId, label: &'static str) {
        self.checks.push(Check {
            id,
            label,
            outcome: Outcome::Unknown,
            detail: format!("{label}: no data"),
        });
    }

    pub(crate) fn flag(
        &mut self,
        id: FlagId,
        label: &'static str,
        severity: Severity,
        detail: impl Into<String>,
    ) {
        let detail = detail.into();
        self.checks.push(Check {
            id,
            label,
            outcome: Outcome::Flagged(severity),
            detail: detail.clone(),
        });
        self.flags.push(Flag {
            id,
            severity,
            detail,
        });
    }

    /// A flag that is a remark about the data rather than a check of the token.
    pub(crate) fn note(&mut self, id: FlagId, severity: Severity, detail: impl Into<String>) {
        self.flags.push(Flag {
            id,
            severity,
            detail: detail.into(),
        });
    }

    /// The common yes/no/unknown rule: `Some(true)` flags, `Some(false)` passes.
    pub(crate) fn boolean(
        &mut self,
        id: FlagId,
        label: &'static str,
        value: Option<bool>,
        severity: Severity,
        flagged: &str,
        passed: &str,
    ) {
        match value {
            Some(true) => self.flag(id, label, severity, flagged),
            Some(false) => self.pass(id, label, passed),
            None => self.unknown(id, label),
        }
    }

    /// For fields GoPlus only sends when they apply: absence adds no row at all.
    pub(crate) fn boolean_if_sent(
        &mut self,
        id: FlagId,
        label: &'static str,
        value: Option<bool>,
        severity: Severity,
        flagged: &str,
        passed: &str,
    ) {
        if value.is_some() {
            self.boolean(id, label, value, severity, flagged, passed);
        }
    }

    fn outcome_of(&self, id: FlagId) -> Option<Outcome> {
        self.checks
            .iter()
            .find(|check| check.id == id)
            .map(|check| check.outcome)
    }
}

/// The checks whose absence matters: without them a clean report would be a guess.
fn key_checks(chain: Chain) -> &'static [FlagId] {
    use FlagId::*;
    match chain.family() {
        ChainFamily::Solana => &[
            MintAuthority,
            FreezeAuthority,
            Closable,
            OwnerCanChangeBalance,
            TransferFee,
            TransferHook,
            NonTransferable,
            LowLiquidity,
            HolderConcentration,
        ],
        ChainFamily::Evm | ChainFamily::Tron => &[
            Honeypot,
            CannotSellAll,
            HighSellTax,
            OwnerCanChangeBalance,
            HiddenOwner,
            NotOpenSource,
            Mintable,
            Proxy,
            Blacklist,
            TransferPausable,
            SlippageModifiable,
            TakeBackOwnership,
            LowLiquidity,
            HolderConcentration,
        ],
    }
}

/// Missing data is reported, never read as safe.
fn unknown_data(list: &mut Checklist, chain: Chain, recognised: bool) {
    let keys = key_checks(chain);
    let missing: Vec<&'static str> = keys
        .iter()
        .filter(|id| list.outcome_of(**id) == Some(Outcome::Unknown))
        .filter_map(|id| list.checks.iter().find(|c| c.id == *id).map(|c| c.label))
        .collect();
    if missing.is_empty() {
        return;
    }
    let sell_unknown = list.outcome_of(FlagId::Honeypot) == Some(Outcome::Unknown);
    let (severity, detail) = if sell_unknown {
        (
            Severity::Medium,
            "No sell simulation is available, so a honeypot can't be ruled out".to_string(),
        )
    } else if missing.len() >= 4 {
        (
            Severity::Medium,
            format!(
                "{} of {} key checks returned no data, so this report is incomplete",
                missing.len(),
                keys.len()
            ),
        )
    } else {
        (
            Severity::Low,
            format!(
                "Some key checks returned no data ({}); treat them as unknown, not safe",
                missing.join(", ").to_lowercase()
            ),
        )
    };
    let severity = if recognised { Severity::Info } else { severity };
    list.note(FlagId::UnknownData, severity, detail);
}

#[cfg(test)]
mod tests;
