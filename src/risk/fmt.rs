//! Number formatting shared by the flag reasons and the report renderers, so a figure
//! reads the same in a reason ("Liquidity is $1.2k") and in the report body.

/// Dollar amount in the short form traders use: `$12`, `$1.2k`, `$3.4M`, `$1.1B`.
pub fn usd(amount: f64) -> String {
    if !amount.is_finite() || amount <= 0.0 {
        return "$0".to_string();
    }
    if amount < 1.0 {
        return "under $1".to_string();
    }
    let (value, suffix) = if amount >= 1e9 {
        (amount / 1e9, "B")
    } else if amount >= 1e6 {
        (amount / 1e6, "M")
    } else if amount >= 1e3 {
        (amount / 1e3, "k")
    } else {
        return format!("${}", amount.round() as u64);
    };
    let rounded = (value * 10.0).round() / 10.0;
    if rounded >= 100.0 || rounded.fract() == 0.0 {
        format!("${}{suffix}", rounded.round() as u64)
    } else {
        format!("${rounded:.1}{suffix}")
    }
}

/// A fraction 0–1 as a percentage: whole numbers from 10% up, one decimal below.
pub fn percent(fraction: f64) -> String {
    if !fraction.is_finite() || fraction <= 0.0 {
        return "0%".to_string();
    }
    let pct = fraction * 100.0;
    if pct >= 9.95 {
        format!("{}%", pct.round() as u64)
    } else if pct >= 0.1 {
        // One decimal below 10%, so a 4.93% tax doesn't read as the 5% next to it.
        let text = format!("{pct:.1}");
        format!("{}%", text.strip_suffix(".0").unwrap_or(&text))
    } else {
        "under 0.1%".to_string()
    }
}

/// A whole count with thousands separators: `3,679,802`.
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_uses_short_suffixes() {
        assert_eq!(usd(0.0), "$0");
        assert_eq!(usd(0.00152942), "under $1");
        assert_eq!(usd(12.51), "$13");
        assert_eq!(usd(1_234.0), "$1.2k");
        assert_eq!(usd(2_000.0), "$2k");
        assert_eq!(usd(634_935.2), "$635k");
        assert_eq!(usd(99_606_174.27), "$99.6M");
        assert_eq!(usd(3_750_000_000.0), "$3.8B");
        assert_eq!(usd(f64::NAN), "$0");
    }

    #[test]
    fn percent_rounds_like_a_person_would() {
        assert_eq!(percent(0.87), "87%");
        assert_eq!(percent(0.0493), "4.9%");
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.039988), "4%");
        assert_eq!(percent(0.0996), "10%");
        assert_eq!(percent(0.005), "0.5%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.00001), "under 0.1%");
        assert_eq!(percent(1.0), "100%");
    }

    #[test]
    fn count_groups_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(40), "40");
        assert_eq!(count(58_345), "58,345");
        assert_eq!(count(3_679_802), "3,679,802");
    }
}
