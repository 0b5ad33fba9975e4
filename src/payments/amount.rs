//! Token amounts as exact integers of base units, with decimal text in and out.
//!
//! Money never passes through a float here: "12.345678" with 6 decimals is exactly
//! 12_345_678 base units, and a 7th decimal is an error rather than a rounding.

use std::fmt;

/// An amount of a token in its smallest unit (for 6-decimal stablecoins: micro-dollars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(u128);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("the amount is empty")]
    Empty,
    #[error("{0:?} is not a plain decimal number like 12.50")]
    NotDecimal(String),
    #[error("at most {max} decimal places are allowed")]
    TooManyDecimals { max: u32 },
    #[error("the amount is too large")]
    TooLarge,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_base_units(units: u128) -> Self {
        Amount(units)
    }

    pub const fn base_units(self) -> u128 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// Difference between two amounts, whichever is larger.
    pub fn abs_diff(self, other: Amount) -> Amount {
        Amount(self.0.abs_diff(other.0))
    }

    /// For storage in an `i64` column; `None` if it does not fit.
    pub fn to_i64(self) -> Option<i64> {
        i64::try_from(self.0).ok()
    }

    /// From an `i64` column; negative values are not amounts.
    pub fn from_i64(value: i64) -> Option<Amount> {
        u128::try_from(value).ok().map(Amount)
    }

    /// Parses "12", "12.5" or "12.345678" into base units with `decimals` places.
    /// Signs, exponents, separators and extra decimals are refused, never rounded.
    pub fn parse_decimal(text: &str, decimals: u32) -> Result<Amount, AmountError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
            return Err(AmountError::NotDecimal(text.to_string()));
        }
        let fraction = fraction.unwrap_or("");
        if fraction.len() > decimals as usize {
            return Err(AmountError::TooManyDecimals { max: decimals });
        }
        let scale = 10u128.checked_pow(decimals).ok_or(AmountError::TooLarge)?;
        let whole: u128 = whole.parse().map_err(|_| AmountError::TooLarge)?;
        let padded = format!("{fraction:0<width$}", width = decimals as usize);
        let fraction: u128 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| AmountError::TooLarge)?
        };
        whole
            .checked_mul(scale)
            .and_then(|w| w.checked_add(fraction))
            .map(Amount)
            .ok_or(AmountError::TooLarge)
    }

    /// Decimal text with trailing zeros trimmed but at least two decimals, so dollar-like
    /// amounts read naturally ("10.00", "0.10") and sub-cent digits are never hidden
    /// ("10.000123").
    pub fn to_decimal_string(self, decimals: u32) -> String {
        if decimals == 0 {
            return self.0.to_string();
        }
        let Some(scale) = 10u128.checked_pow(decimals) else {
            return self.0.to_string();
        };
        let whole = self.0 / scale;
        let fraction = format!("{:0width$}", self.0 % scale, width = decimals as usize);
        let keep = fraction
            .trim_end_matches('0')
            .len()
            .max(2.min(decimals as usize));
        format!("{whole}.{}", &fraction[..keep])
    }
}

impl fmt::Display for Amount {
    /// Base units, so a Display can never be mistaken for a decimal amount.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse6(s: &str) -> Result<Amount, AmountError> {
        Amount::parse_decimal(s, 6)
    }

    #[test]
    fn parses_decimal_text_exactly() {
        assert_eq!(parse6("12.345678").unwrap().base_units(), 12_345_678);
        assert_eq!(parse6("12").unwrap().base_units(), 12_000_000);
        assert_eq!(parse6("0.1").unwrap().base_units(), 100_000);
        assert_eq!(parse6("0.000001").unwrap().base_units(), 1);
        assert_eq!(parse6(" 9.99 ").unwrap().base_units(), 9_990_000);
        assert_eq!(parse6("007.50").unwrap().base_units(), 7_500_000);
        assert_eq!(parse6("0").unwrap(), Amount::ZERO);
    }

    #[test]
    fn refuses_anything_that_would_need_rounding_or_guessing() {
        assert_eq!(
            parse6("12.3456789"),
            Err(AmountError::TooManyDecimals { max: 6 })
        );
        for bad in [
            "-1", "+1", "1e3", "1,5", "1.2.3", ".5", "5.", "abc", "1 000", "0x10",
        ] {
            assert!(
                matches!(parse6(bad), Err(AmountError::NotDecimal(_))),
                "{bad} should be refused"
            );
        }
        assert_eq!(parse6(""), Err(AmountError::Empty));
        assert_eq!(
            parse6("999999999999999999999999999999999999999"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn formats_without_losing_sub_cent_digits() {
        let fmt6 = |units| Amount::from_base_units(units).to_decimal_string(6);
        assert_eq!(fmt6(12_345_678), "12.345678");
        assert_eq!(fmt6(20_939_174), "20.939174");
        assert_eq!(fmt6(100_000), "0.10");
        assert_eq!(fmt6(10_000_000), "10.00");
        assert_eq!(fmt6(10_000_123), "10.000123");
        assert_eq!(fmt6(1), "0.000001");
        assert_eq!(fmt6(0), "0.00");
        assert_eq!(Amount::from_base_units(5).to_decimal_string(0), "5");
    }

    #[test]
    fn format_then_parse_round_trips() {
        for units in [
            0u128,
            1,
            99,
            100_000,
            12_345_678,
            4_496_800_000,
            u64::MAX as u128,
        ] {
            let amount = Amount::from_base_units(units);
            assert_eq!(parse6(&amount.to_decimal_string(6)).unwrap(), amount);
        }
    }

    #[test]
    fn i64_storage_conversion_is_checked() {
        assert_eq!(Amount::from_base_units(5).to_i64(), Some(5));
        assert_eq!(Amount::from_base_units(u128::MAX).to_i64(), None);
        assert_eq!(Amount::from_i64(-1), None);
        assert_eq!(Amount::from_i64(42), Some(Amount::from_base_units(42)));
    }
}
