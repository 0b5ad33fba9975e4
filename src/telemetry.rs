//! Logging and metrics set-up. Every log line passes a redactor that blanks known secrets, as a
//! last line of defence behind the rule that secrets never enter error messages.

use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// Wraps a log writer and replaces every secret with `[REDACTED]`.
#[derive(Clone)]
pub struct RedactingMakeWriter<M> {
    inner: M,
    secrets: Arc<Vec<String>>,
}

impl<M> RedactingMakeWriter<M> {
    pub fn new(inner: M, secrets: Vec<String>) -> Self {
        let secrets = secrets.into_iter().filter(|s| s.len() >= 6).collect();
        RedactingMakeWriter {
            inner,
            secrets: Arc::new(secrets),
        }
    }
}

pub struct RedactingWriter<W> {
    inner: W,
    secrets: Arc<Vec<String>>,
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.inner.make_writer(),
            secrets: self.secrets.clone(),
        }
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter hands us one whole event per call, so a secret is never split.
        let text = String::from_utf8_lossy(buf);
        if self.secrets.iter().any(|s| text.contains(s.as_str())) {
            let mut clean = text.into_owned();
            for secret in self.secrets.iter() {
                clean = clean.replace(secret.as_str(), "[REDACTED]");
            }
            self.inner.write_all(clean.as_bytes())?;
        } else {
            self.inner.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Installs the global subscriber once. `RUST_LOG` picks the levels.
pub fn init_logging(format: LogFormat, secrets: Vec<String>) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,hyper=warn,reqwest=warn"));
    let writer = RedactingMakeWriter::new(io::stderr, secrets);
    // Colours only for a person at a terminal, never into files or log collectors.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&io::stderr()))
        .with_writer(writer);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if installed.is_err() {
        tracing::debug!("a log subscriber was already installed");
    }
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::debug!("a metrics recorder was already installed");
        }
        handle
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_blanked_in_log_output() {
        let mut out = Vec::new();
        let mut writer = RedactingWriter {
            inner: &mut out,
            secrets: Arc::new(vec!["123456:SECRET".to_string()]),
        };
        writer
            .write_all(b"GET /bot123456:SECRET/getMe failed\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET /bot[REDACTED]/getMe failed\n"
        );
    }
}
