//! Settings are parsed, defaulted and refused by name.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let config = Config::load(&env(&[])).unwrap();
    assert!(config.telegram.is_none());
    assert_eq!(config.database_url, "sqlite://data/tiltguard.db");
    assert_eq!(config.database_kind, DatabaseKind::Sqlite);
    assert_eq!(config.log_format, LogFormat::Text);
    assert!(config.http_addr.is_none());
    assert!(config.admin_user_ids.is_empty());
}

#[test]
fn serve_without_token_names_the_variable_and_the_example_file() {
    let config = Config::load(&env(&[])).unwrap();
    let message = config.require_telegram().unwrap_err().to_string();
    assert!(
        message.starts_with("TELEGRAM_BOT_TOKEN is not set"),
        "{message}"
    );
    assert!(message.contains(".env.example"), "{message}");
}

#[test]
fn each_bad_setting_is_reported_by_name() {
    let cases = [
        ("TELEGRAM_API_URL", "not a url", "TELEGRAM_API_URL"),
        ("TELEGRAM_API_URL", "ftp://x.org", "TELEGRAM_API_URL"),
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL"),
        ("ADMIN_USER_IDS", "1,bob", "ADMIN_USER_IDS"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("HTTP_ADDR", "8080", "HTTP_ADDR"),
        ("POLL_TIMEOUT_SECONDS", "soon", "POLL_TIMEOUT_SECONDS"),
        ("LLM_BASE_URL", "openrouter", "LLM_BASE_URL"),
        ("LLM_MAX_TOKENS", "lots", "LLM_MAX_TOKENS"),
        ("LLM_CONTEXT_TOKENS", "1000", "LLM_CONTEXT_TOKENS"),
        ("LLM_TEXT_MODELS", " , ", "LLM_TEXT_MODELS"),
        ("MODEL_PRICES", "m=1", "MODEL_PRICES"),
        ("DRAFT_HZ", "100", "DRAFT_HZ"),
        ("GOPLUS_API_URL", "goplus", "GOPLUS_API_URL"),
        ("GOPLUS_APP_KEY", "key-without-secret", "GOPLUS_APP_SECRET"),
        ("SCAN_EVM_CHAINS", "ethereum,solana", "SCAN_EVM_CHAINS"),
        ("FREE_DAILY_SCANS", "ten", "FREE_DAILY_SCANS"),
        ("PAY_ETH_ADDRESS", "0x1234", "PAY_ETH_ADDRESS"),
        ("ETHERSCAN_API_URL", "etherscan", "ETHERSCAN_API_URL"),
        ("ETH_MIN_CONFIRMATIONS", "0", "ETH_MIN_CONFIRMATIONS"),
        ("PLANS", "monthly=9.999/30", "PLANS"),
        ("INVOICE_TTL_MINUTES", "0", "INVOICE_TTL_MINUTES"),
        ("PAYMENT_WATCH_SECONDS", "often", "PAYMENT_WATCH_SECONDS"),
        ("TRONGRID_API_URL", "trongrid", "TRONGRID_API_URL"),
        ("PREMIUM_DAILY_MESSAGES", "0", "PREMIUM_DAILY_MESSAGES"),
        ("PREMIUM_DAILY_SCANS", "lots", "PREMIUM_DAILY_SCANS"),
        ("WHALE_MIN_USD", "lots", "WHALE_MIN_USD"),
        ("WHALE_MIN_USD", "0.5", "WHALE_MIN_USD"),
        ("WHALE_POLL_SECONDS", "0", "WHALE_POLL_SECONDS"),
        ("WHALE_MAX_WATCHES", "-1", "WHALE_MAX_WATCHES"),
    ];
    for (var, value, named) in cases {
        let source = env(&[("TELEGRAM_BOT_TOKEN", "123:abc"), (var, value)]);
        let err = Config::load(&source).unwrap_err();
        assert_eq!(err.var, named, "{var}={value}");
        assert!(err.to_string().starts_with(named));
    }
}

#[test]
fn token_never_appears_in_debug_or_errors() {
    let source = env(&[("TELEGRAM_BOT_TOKEN", "123456:very-secret-token")]);
    let config = Config::load(&source).unwrap();
    assert!(!format!("{config:?}").contains("very-secret-token"));
    let bad = env(&[("TELEGRAM_BOT_TOKEN", "not-a-token-secret")]);
    let err = Config::load(&bad).unwrap_err().to_string();
    assert!(!err.contains("not-a-token-secret"), "{err}");
}

#[test]
fn model_prices_and_llm_defaults_are_read() {
    let source = env(&[
        (
            "MODEL_PRICES",
            "deepseek/deepseek-chat=0.27/1.10; openai/gpt-4o-mini=0.15/0.6",
        ),
        ("LLM_API_KEY", "sk-or-secret-key"),
    ]);
    let config = Config::load(&source).unwrap();
    assert_eq!(config.llm.prices.len(), 2);
    assert_eq!(
        config.llm.prices[0],
        ("deepseek/deepseek-chat".to_string(), 0.27, 1.10)
    );
    assert_eq!(config.llm.base_url, "https://openrouter.ai/api/v1");
    assert_eq!(config.limits.free_daily_messages, 30);
    assert!(!format!("{config:?}").contains("sk-or-secret-key"));
}

#[test]
fn admin_ids_and_urls_are_parsed() {
    let source = env(&[
        ("TELEGRAM_BOT_TOKEN", "1:x"),
        ("ADMIN_USER_IDS", " 42, 7 ,"),
        ("TELEGRAM_API_URL", "http://127.0.0.1:8081/"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1/test"),
        ("LOG_FORMAT", "json"),
        ("HTTP_ADDR", "127.0.0.1:0"),
    ]);
    let config = Config::load(&source).unwrap();
    assert_eq!(config.admin_user_ids, vec![42, 7]);
    assert!(config.is_admin(7) && !config.is_admin(8));
    let telegram = config.require_telegram().unwrap();
    assert_eq!(telegram.api_url, "http://127.0.0.1:8081");
    assert_eq!(config.database_kind, DatabaseKind::Postgres);
    assert_eq!(config.log_format, LogFormat::Json);
    assert!(config.http_addr.is_some());
}

#[test]
fn premium_quotas_and_plans_have_defaults_and_can_be_set() {
    let defaults = Config::load(&env(&[])).unwrap();
    assert_eq!(defaults.limits.premium_daily_messages, 300);
    assert_eq!(defaults.limits.premium_daily_scans, 100);
    let ids: Vec<&str> = defaults
        .billing
        .plans
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(ids, ["monthly", "yearly"]);
    assert_eq!(defaults.billing.invoice_ttl, Duration::from_secs(3_600));
    let custom = Config::load(&env(&[
        ("PLANS", "weekly=3/7"),
        ("INVOICE_TTL_MINUTES", "30"),
        ("PREMIUM_DAILY_MESSAGES", "500"),
    ]))
    .unwrap();
    assert_eq!(custom.billing.plans.len(), 1);
    assert_eq!(custom.billing.plans[0].days, 7);
    assert_eq!(custom.billing.invoice_ttl, Duration::from_secs(1_800));
    assert_eq!(custom.limits.premium_daily_messages, 500);
}

#[test]
fn whale_settings_have_defaults_and_can_be_set() {
    let defaults = Config::load(&env(&[])).unwrap().whales;
    assert_eq!(defaults.min_amount.base_units(), 100_000_000_000);
    assert_eq!(defaults.poll_interval, Duration::from_secs(60));
    assert_eq!(defaults.max_watches, 10);
    assert!(defaults.enabled());
    let custom = Config::load(&env(&[
        ("WHALE_MIN_USD", "$250000.50"),
        ("WHALE_POLL_SECONDS", "15"),
        ("WHALE_MAX_WATCHES", "0"),
    ]))
    .unwrap()
    .whales;
    assert_eq!(custom.min_amount.base_units(), 250_000_500_000);
    assert_eq!(custom.poll_interval, Duration::from_secs(15));
    assert!(!custom.enabled(), "0 watches turns whale alerts off");
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Names passed as literals to the functions that read settings.
fn setting_names(source: &str) -> Vec<String> {
    const READERS: [&str; 10] = [
        "get(\"",
        "read(source,\"",
        "parse_number(source,\"",
        "parse_url(source,\"",
        "parse_premium(source,\"",
        "bounded(\"",
        "lookup(\"",
        "var(\"",
        "var_os(\"",
        "whole(\"",
    ];
    let compact: String = source.split_whitespace().collect();
    let mut names = Vec::new();
    for reader in READERS {
        for (at, _) in compact.match_indices(reader) {
            let rest = &compact[at + reader.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if name.len() >= 3 && rest[name.len()..].starts_with('"') {
                names.push(name);
            }
        }
    }
    names
}

#[test]
fn env_example_lists_every_setting_the_code_reads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    let listed = |name: &str| {
        example.lines().any(|line| {
            let line = line.trim_start_matches('#').trim_start();
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
    };
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut read = std::collections::BTreeSet::new();
    for file in files {
        read.extend(setting_names(&std::fs::read_to_string(file).unwrap()));
    }
    assert!(read.len() > 40, "the scan found only {read:?}");
    let missing: Vec<_> = read
        .iter()
        .filter(|name| !name.starts_with("TEST_") && !listed(name))
        .collect();
    assert!(missing.is_empty(), ".env.example lacks {missing:?}");
}
