//! What premium costs and how the billing side behaves: the `PLANS` list, invoice lifetime
//! and the payment watcher's settings, read from the environment by the caller.
//!
//! `PLANS` is `id=price/days,…` with the price in USD (whole cents only, because the
//! sub-cent digits of an invoice are what identify it) and the duration in days.

use std::fmt;
use std::time::Duration;

use super::amount::Amount;
use super::tokens::STABLECOIN_DECIMALS;

pub const DEFAULT_PLANS: &str = "monthly=9.99/30,yearly=99/365";
pub const DEFAULT_INVOICE_TTL_MINUTES: u64 = 60;
pub const DEFAULT_PAYMENT_WATCH_SECONDS: u64 = 30;
pub const DEFAULT_TRONGRID_API_URL: &str = "https://api.trongrid.io";

/// Longest plan id: it travels inside Telegram callback data (64 bytes at most).
const MAX_PLAN_ID_LEN: usize = 16;
/// More buttons than this stop being a choice.
const MAX_PLANS: usize = 6;
const MAX_PLAN_DAYS: u32 = 3_660;

/// One thing a trader can buy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Lowercase id (`monthly`), stable across restarts: stored on invoices.
    pub id: String,
    /// Price in base units of a 6-decimal stablecoin (= micro-USD).
    pub price: Amount,
    pub days: u32,
}

impl Plan {
    /// "Monthly" for `monthly`, "Pro_max" stays readable too.
    pub fn display_name(&self) -> String {
        let mut chars = self.id.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        }
    }

    /// "$9.99", "$99".
    pub fn price_usd(&self) -> String {
        format!("${}", usd(self.price))
    }

    /// "Monthly · $9.99 · 30 days", for a button.
    pub fn button_label(&self) -> String {
        format!(
            "{} · {} · {} days",
            self.display_name(),
            self.price_usd(),
            self.days
        )
    }
}

/// A USD amount in base units as text: "9.99", "99.00", "9.990001" (sub-cent digits kept).
pub fn usd(amount: Amount) -> String {
    amount.to_decimal_string(STABLECOIN_DECIMALS)
}

/// Billing settings (`PLANS`, `INVOICE_TTL_MINUTES`, `PAYMENT_WATCH_SECONDS`,
/// `TRONGRID_API_URL`, `TRONGRID_API_KEY`).
#[derive(Clone, PartialEq, Eq)]
pub struct BillingConfig {
    pub plans: Vec<Plan>,
    /// How long an invoice stays payable.
    pub invoice_ttl: Duration,
    /// How often the watcher polls: pending re-checks, expiry, reminders, incoming transfers.
    pub watch_interval: Duration,
    /// TronGrid base URL: the list of incoming TRC-20 transfers comes from there.
    pub trongrid_url: String,
    /// Optional; sent as `TRON-PRO-API-KEY`.
    pub trongrid_key: String,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig {
            plans: parse_plans(DEFAULT_PLANS).unwrap_or_default(),
            invoice_ttl: Duration::from_secs(DEFAULT_INVOICE_TTL_MINUTES * 60),
            watch_interval: Duration::from_secs(DEFAULT_PAYMENT_WATCH_SECONDS),
            trongrid_url: DEFAULT_TRONGRID_API_URL.into(),
            trongrid_key: String::new(),
        }
    }
}

impl fmt::Debug for BillingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BillingConfig")
            .field("plans", &self.plans)
            .field("invoice_ttl", &self.invoice_ttl)
            .field("watch_interval", &self.watch_interval)
            .field("trongrid_url", &self.trongrid_url)
            .field(
                "trongrid_key",
                &if self.trongrid_key.is_empty() {
                    "<unset>"
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

/// A bad billing setting; `variable` names it for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct BillingConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl BillingConfig {
    /// Reads the settings by name (e.g. `std::env::var(n).ok()`); unset or blank variables
    /// take the defaults.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, BillingConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let plans =
            parse_plans(get("PLANS").as_deref().unwrap_or(DEFAULT_PLANS)).map_err(|problem| {
                BillingConfigError {
                    variable: "PLANS",
                    problem: problem.to_string(),
                }
            })?;
        let ttl_minutes = bounded(
            "INVOICE_TTL_MINUTES",
            get("INVOICE_TTL_MINUTES"),
            DEFAULT_INVOICE_TTL_MINUTES,
            5..=1_440,
        )?;
        let watch_seconds = bounded(
            "PAYMENT_WATCH_SECONDS",
            get("PAYMENT_WATCH_SECONDS"),
            DEFAULT_PAYMENT_WATCH_SECONDS,
            1..=3_600,
        )?;
        Ok(BillingConfig {
            plans,
            invoice_ttl: Duration::from_secs(ttl_minutes * 60),
            watch_interval: Duration::from_secs(watch_seconds),
            trongrid_url: get("TRONGRID_API_URL")
                .unwrap_or_else(|| DEFAULT_TRONGRID_API_URL.into())
                .trim_end_matches('/')
                .to_string(),
            trongrid_key: get("TRONGRID_API_KEY").unwrap_or_default(),
        })
    }

    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|plan| plan.id == id)
    }
}

/// A whole-number setting within `range`, or `default` when unset; shared by the settings
/// sections that read such numbers.
pub(crate) fn bounded(
    variable: &'static str,
    raw: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, BillingConfigError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    raw.parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| BillingConfigError {
            variable,
            problem: format!(
                "must be a whole number from {} to {}, got {raw:?}",
                range.start(),
                range.end()
            ),
        })
}

/// Why a `PLANS` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("must list at least one plan like monthly=9.99/30")]
    Empty,
    #[error("entries look like id=price/days (e.g. monthly=9.99/30), got {0:?}")]
    Shape(String),
    #[error(
        "plan id {0:?} must be 1–16 lowercase letters, digits or underscores (it goes into button data)"
    )]
    BadId(String),
    #[error("plan {0:?} is listed twice")]
    Duplicate(String),
    #[error(
        "price of {id:?} must be a positive USD amount in whole cents like 9.99, got {price:?}"
    )]
    BadPrice { id: String, price: String },
    #[error("duration of {id:?} must be 1 to 3660 days, got {days:?}")]
    BadDays { id: String, days: String },
    #[error("at most 6 plans fit on the screen")]
    TooMany,
}

/// Parses `id=price/days,…` into plans, in the order given.
pub fn parse_plans(text: &str) -> Result<Vec<Plan>, PlanError> {
    let mut plans: Vec<Plan> = Vec::new();
    for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (id, terms) = entry
            .split_once('=')
            .ok_or_else(|| PlanError::Shape(entry.to_string()))?;
        let (price, days) = terms
            .split_once('/')
            .ok_or_else(|| PlanError::Shape(entry.to_string()))?;
        let id = id.trim();
        let valid_id = !id.is_empty()
            && id.len() <= MAX_PLAN_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_id {
            return Err(PlanError::BadId(id.to_string()));
        }
        if plans.iter().any(|plan| plan.id == id) {
            return Err(PlanError::Duplicate(id.to_string()));
        }
        // Whole cents: the sub-cent digits are reserved for telling invoices apart.
        let price_amount = Amount::parse_decimal(price.trim(), 2)
            .ok()
            .filter(|a| !a.is_zero())
            .and_then(|cents| {
                cents
                    .base_units()
                    .checked_mul(10u128.pow(STABLECOIN_DECIMALS - 2))
            })
            .map(Amount::from_base_units)
            .ok_or_else(|| PlanError::BadPrice {
                id: id.to_string(),
                price: price.trim().to_string(),
            })?;
        let days = days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_PLAN_DAYS).contains(d))
            .ok_or_else(|| PlanError::BadDays {
                id: id.to_string(),
                days: days.trim().to_string(),
            })?;
        plans.push(Plan {
            id: id.to_string(),
            price: price_amount,
            days,
        });
    }
    if plans.is_empty() {
        return Err(PlanError::Empty);
    }
    if plans.len() > MAX_PLANS {
        return Err(PlanError::TooMany);
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<BillingConfig, BillingConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        BillingConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn the_default_plans_are_monthly_and_yearly() {
        let config = from(&[]).unwrap();
        assert_eq!(config, BillingConfig::default());
        let monthly = config.plan("monthly").unwrap();
        assert_eq!(monthly.price, Amount::from_base_units(9_990_000));
        assert_eq!(monthly.days, 30);
        assert_eq!(monthly.button_label(), "Monthly · $9.99 · 30 days");
        let yearly = config.plan("yearly").unwrap();
        assert_eq!(yearly.price_usd(), "$99.00");
        assert_eq!(yearly.days, 365);
        assert_eq!(config.invoice_ttl, Duration::from_secs(3_600));
        assert_eq!(config.watch_interval, Duration::from_secs(30));
        assert_eq!(config.trongrid_url, "https://api.trongrid.io");
    }

    #[test]
    fn plans_keep_their_order_and_exact_prices() {
        let plans = parse_plans(" weekly=2.5/7 , pro_2=120/365").unwrap();
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[0].id, "weekly");
        assert_eq!(plans[0].price, Amount::from_base_units(2_500_000));
        assert_eq!(plans[1].price, Amount::from_base_units(120_000_000));
        assert_eq!(plans[1].display_name(), "Pro_2");
    }

    #[test]
    fn bad_plans_are_refused_with_the_reason() {
        assert_eq!(parse_plans(""), Err(PlanError::Empty));
        assert!(matches!(parse_plans("monthly"), Err(PlanError::Shape(_))));
        assert!(matches!(
            parse_plans("monthly=9.99"),
            Err(PlanError::Shape(_))
        ));
        assert!(matches!(
            parse_plans("Monthly=9.99/30"),
            Err(PlanError::BadId(_))
        ));
        assert!(matches!(
            parse_plans("a=1/30,a=2/30"),
            Err(PlanError::Duplicate(_))
        ));
        // Sub-cent prices would collide with the unique invoice digits.
        assert!(matches!(
            parse_plans("monthly=9.999/30"),
            Err(PlanError::BadPrice { .. })
        ));
        assert!(matches!(
            parse_plans("monthly=0/30"),
            Err(PlanError::BadPrice { .. })
        ));
        assert!(matches!(
            parse_plans("monthly=-1/30"),
            Err(PlanError::BadPrice { .. })
        ));
        assert!(matches!(
            parse_plans("monthly=9.99/0"),
            Err(PlanError::BadDays { .. })
        ));
        assert_eq!(
            parse_plans("a=1/1,b=1/1,c=1/1,d=1/1,e=1/1,f=1/1,g=1/1"),
            Err(PlanError::TooMany)
        );
    }

    #[test]
    fn bad_settings_name_their_variable() {
        for (var, value) in [
            ("PLANS", "monthly=free/30"),
            ("INVOICE_TTL_MINUTES", "0"),
            ("INVOICE_TTL_MINUTES", "soon"),
            ("PAYMENT_WATCH_SECONDS", "0"),
        ] {
            let err = from(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{var}={value}");
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }

    #[test]
    fn usd_text_always_has_cents() {
        assert_eq!(usd(Amount::from_base_units(99_000_000)), "99.00");
        assert_eq!(usd(Amount::from_base_units(2_500_000)), "2.50");
        assert_eq!(usd(Amount::from_base_units(9_990_001)), "9.990001");
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let config = from(&[("TRONGRID_API_KEY", "TGSECRET")]).unwrap();
        assert!(!format!("{config:?}").contains("TGSECRET"));
    }
}
