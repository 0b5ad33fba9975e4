//! The risk radar's front door for the bot and the CLI: detects the chain, asks GoPlus (and
//! honeypot.is where it simulates), scores, and caches reports per (chain, address).
//!
//! The cache coalesces: concurrent scans of one token share one upstream round trip.
//! Failures are never cached, so "Rescan" after an outage really asks again.

mod config;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use moka::future::Cache;

pub use config::{
    DEFAULT_CACHE_TTL, DEFAULT_GOPLUS_URL, DEFAULT_HONEYPOT_URL, RiskConfig, RiskConfigError,
};

use super::detect::{AddressKind, Chain, ChainFamily, DetectError, detect};
use super::goplus::{GoPlusClient, GoPlusError};
use super::honeypot::{self, HoneypotClient};
use super::report::ScanReport;
use super::score::IssuerAllowlist;

/// What a scan found.
#[derive(Debug, Clone)]
pub enum ScanOutcome {
    Found(Arc<ScanReport>),
    /// The address is a token on several chains; ask the trader which one.
    MultipleChains(Vec<Chain>),
    /// GoPlus knows no token at this address on these chains.
    NotFound(Vec<Chain>),
}

/// Why a scan could not run. `Display` is a kind, user-facing sentence.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    InvalidAddress(#[from] DetectError),
    #[error("That address can't be on {}: {}", .chain.display_name(), family_hint(.address_family))]
    ChainMismatch {
        chain: Chain,
        address_family: ChainFamily,
    },
    #[error(
        "That address is a wallet, not a token contract. Send the token's contract address (its explorer page shows it)."
    )]
    NotAToken,
    #[error("GoPlus is rate-limiting scans right now. Try Rescan in a minute.")]
    RateLimited,
    #[error("GoPlus is not answering right now ({0}). Try Rescan in a minute.")]
    Unavailable(String),
    #[error(
        "GoPlus is still collecting data for this token. Try Rescan in about {} seconds.",
        .retry_after.as_secs()
    )]
    Pending { retry_after: Duration },
    #[error("GoPlus could not check this token ({0}). Try again later.")]
    Upstream(String),
}

impl ScanError {
    /// The same scan may succeed later, so offer "Rescan".
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ScanError::RateLimited | ScanError::Unavailable(_) | ScanError::Pending { .. }
        )
    }
}

fn family_hint(family: &ChainFamily) -> &'static str {
    match family {
        ChainFamily::Evm => "it is an 0x (EVM) address",
        ChainFamily::Solana => "it is a Solana address",
        ChainFamily::Tron => "it is a TRON address",
    }
}

/// The sentence for [`ScanOutcome::NotFound`].
pub fn not_found_message(chains: &[Chain]) -> String {
    let names: Vec<&str> = chains.iter().map(|c| c.display_name()).collect();
    format!(
        "GoPlus has no token at this address on {}. If the token is brand new, try again in a few minutes; if it is a wallet, scan its token's contract address instead.",
        names.join(", ")
    )
}

/// One chain's answer before the multi-chain pick.
#[derive(Debug, Clone)]
enum ChainAnswer {
    NotFound,
    NotAToken,
    Failed(ScanError),
}

type CacheKey = (Chain, String);

/// Cached, coalescing scanner. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct RiskService {
    goplus: GoPlusClient,
    honeypot: HoneypotClient,
    cache: Cache<CacheKey, Arc<ScanReport>>,
    allowlist: Arc<IssuerAllowlist>,
    evm_chains: Arc<[Chain]>,
}

impl RiskService {
    /// Builds the service with its own HTTP client.
    pub fn new(config: RiskConfig) -> Result<RiskService, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .user_agent(crate::net::USER_AGENT)
            .build()?;
        Ok(RiskService::with_http(config, http))
    }

    /// Builds the service on a shared HTTP client.
    pub fn with_http(config: RiskConfig, http: reqwest::Client) -> RiskService {
        let mut goplus = GoPlusClient::new(http.clone(), config.goplus_url);
        if let Some(credentials) = config.goplus_credentials {
            goplus = goplus.with_credentials(credentials);
        }
        RiskService {
            goplus,
            honeypot: HoneypotClient::new(http, config.honeypot_url),
            cache: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(config.cache_ttl)
                .build(),
            allowlist: Arc::new(IssuerAllowlist::with_extra(config.issuer_allowlist_extra)),
            evm_chains: config.evm_chains.into(),
        }
    }

    /// Scans `address`. Without a chain, EVM addresses are looked up on every configured
    /// chain at once; Solana and TRON addresses name their chain themselves.
    pub async fn scan(
        &self,
        address: &str,
        chain: Option<Chain>,
    ) -> Result<ScanOutcome, ScanError> {
        let kind = detect(address)?;
        let chains: Vec<Chain> = match (chain, kind.family()) {
            (Some(chain), family) if !kind.fits(chain) => {
                return Err(ScanError::ChainMismatch {
                    chain,
                    address_family: family,
                });
            }
            (Some(chain), _) => vec![chain],
            (None, ChainFamily::Solana) => vec![Chain::Solana],
            (None, ChainFamily::Tron) => vec![Chain::Tron],
            (None, ChainFamily::Evm) => self.evm_chains.to_vec(),
        };
        let answers = join_all(chains.iter().map(|chain| self.cached(*chain, &kind))).await;
        combine(chains.into_iter().zip(answers).collect())
    }

    /// The cached report of `address` on `chain`, without asking upstream.
    pub async fn cached_report(&self, address: &str, chain: Chain) -> Option<Arc<ScanReport>> {
        let kind = detect(address).ok()?;
        self.cache.get(&(chain, kind.canonical())).await
    }

    /// Like [`RiskService::scan`] on one chain, but ignores the cached report ("Rescan").
    pub async fn rescan(&self, address: &str, chain: Chain) -> Result<ScanOutcome, ScanError> {
        let kind = detect(address)?;
        self.cache.invalidate(&(chain, kind.canonical())).await;
        self.scan(address, Some(chain)).await
    }

    async fn cached(
        &self,
        chain: Chain,
        kind: &AddressKind,
    ) -> Result<Arc<ScanReport>, ChainAnswer> {
        self.cache
            .try_get_with((chain, kind.canonical()), self.fetch(chain, kind))
            .await
            .map_err(|shared| (*shared).clone())
    }

    /// One upstream round trip. GoPlus first: honeypot.is is only asked about tokens GoPlus
    /// knows, which keeps a seven-chain lookup from spending its rate limit on misses.
    async fn fetch(
        &self,
        chain: Chain,
        kind: &AddressKind,
    ) -> Result<Arc<ScanReport>, ChainAnswer> {
        let canonical = kind.canonical();
        let security = self
            .goplus
            .token_security(chain, &canonical)
            .await
            .map_err(answer_for)?;
        let simulation = if honeypot::supports(chain) {
            match self.honeypot.is_honeypot(chain, &canonical).await {
                Ok(verdict) => Some(verdict),
                Err(error) => {
                    tracing::debug!(%error, %chain, "no honeypot.is second opinion");
                    None
                }
            }
        } else {
            None
        };
        let issuer = self.allowlist.lookup(chain, &canonical);
        Ok(Arc::new(ScanReport::build(
            chain,
            kind,
            &security,
            simulation.as_ref(),
            issuer,
        )))
    }
}

fn answer_for(error: GoPlusError) -> ChainAnswer {
    match error {
        GoPlusError::TokenNotFound => ChainAnswer::NotFound,
        GoPlusError::NotAToken => ChainAnswer::NotAToken,
        GoPlusError::RateLimited => ChainAnswer::Failed(ScanError::RateLimited),
        GoPlusError::Partial { retry_after } => {
            ChainAnswer::Failed(ScanError::Pending { retry_after })
        }
        GoPlusError::Unavailable(detail) => ChainAnswer::Failed(ScanError::Unavailable(detail)),
        GoPlusError::Unauthorized { code, .. } => {
            ChainAnswer::Failed(ScanError::Upstream(format!("access refused, code {code}")))
        }
        GoPlusError::Api { code, .. } => {
            ChainAnswer::Failed(ScanError::Upstream(format!("code {code}")))
        }
        GoPlusError::BadResponse(_) => {
            ChainAnswer::Failed(ScanError::Upstream("unreadable response".to_string()))
        }
    }
}

/// The multi-chain pick. Pure.
///
/// One hit is the answer; several are the trader's choice. With no hit, a failure on any
/// chain wins over "not found", because that chain might have had the token.
fn combine(
    answers: Vec<(Chain, Result<Arc<ScanReport>, ChainAnswer>)>,
) -> Result<ScanOutcome, ScanError> {
    let searched: Vec<Chain> = answers.iter().map(|(chain, _)| *chain).collect();
    let mut found = Vec::new();
    let mut failure = None;
    let mut wallet = false;
    for (chain, answer) in answers {
        match answer {
            Ok(report) => found.push((chain, report)),
            Err(ChainAnswer::NotFound) => {}
            Err(ChainAnswer::NotAToken) => wallet = true,
            Err(ChainAnswer::Failed(error)) => {
                failure.get_or_insert(error);
            }
        }
    }
    match (found.len(), failure) {
        (1, _) => Ok(ScanOutcome::Found(found.remove(0).1)),
        (n, _) if n > 1 => Ok(ScanOutcome::MultipleChains(
            found.into_iter().map(|(chain, _)| chain).collect(),
        )),
        (_, Some(error)) => Err(error),
        _ if wallet => Err(ScanError::NotAToken),
        _ => Ok(ScanOutcome::NotFound(searched)),
    }
}

#[cfg(test)]
mod tests;
