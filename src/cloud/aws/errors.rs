//! How an SDK error becomes the one line the user sees: the AWS error code
//! and message when AWS answered with its own error document; otherwise the
//! HTTP status and a plain sentence with the first line of whatever answered
//! (a proxy's HTML page, a captive portal, a cut-off listing), never the
//! SDK's debug dump and never a credential.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::complete::IncompleteAnswer;
use super::setup::NO_CREDENTIALS;
use crate::cloud::CloudError;

/// The code of an answer that is not a usable one: unreadable, cut off, or
/// an instance without the fields every instance has.
pub const BAD_RESPONSE: &str = "BadResponse";

/// AWS error codes that mean "slow down": the SDK's own list
/// (`aws_runtime::retries::classifiers::THROTTLING_ERRORS`, which its
/// standard retry backs off on), so hytop agrees with the SDK on what
/// throttling is.
const THROTTLING_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// At most this many characters of an answer's line go into a message.
const LINE_LIMIT: usize = 160;

/// True for an error that asks the caller to slow down: an AWS throttling
/// code (`RequestLimitExceeded` from EC2, `Throttling` from CloudWatch,
/// the rest of the SDK's list), or HTTP 429 / 503 without an AWS error
/// document (a proxy or load balancer shedding load). The error's `code`
/// is then that AWS code, or `"429"` / `"503"`.
/// [`CloudError::is_throttled`] asks this list.
pub(crate) fn is_throttling_code(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// An EC2 call's error.
pub(super) fn ec2_error<E>(err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    sdk_error("EC2", err)
}

/// A CloudWatch call's error.
pub(super) fn cloudwatch_error<E>(err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    sdk_error("CloudWatch", err)
}

fn sdk_error<E>(service: &str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(failure) => {
            let e = failure.err();
            match e.code() {
                Some(code) => CloudError::new(
                    code,
                    // AWS's own words, whole: they never hold a secret, and
                    // some (UnauthorizedOperation's encoded message) are
                    // meant to be copied.
                    e.message()
                        .map(str::to_string)
                        .unwrap_or_else(|| status_line(service, failure.raw())),
                ),
                // The SDK found no AWS error document: whatever answered
                // is not AWS (or not AWS speaking this protocol).
                None => not_aws(service, failure.raw()),
            }
        }
        SdkError::ResponseError(failure) => {
            let raw = failure.raw();
            let why = match find::<IncompleteAnswer>(&err) {
                // Where a cut-off answer stops says more than its first
                // line (the XML declaration); what something else sent
                // says what it is (a captive portal, a proxy).
                Some(incomplete @ IncompleteAnswer::CutOff(_)) => incomplete.to_string(),
                Some(other) => match raw
                    .body()
                    .bytes()
                    .and_then(|b| first_line(b, raw.status().as_u16()))
                {
                    Some(line) => format!("{other}: {line}"),
                    None => other.to_string(),
                },
                // Reading the body failed: the connection went away.
                None => format!(
                    "the connection closed mid-answer ({})",
                    sanitize(&innermost(&err))
                ),
            };
            answer_error(raw, format!("{}, but {why}", status_line(service, raw)))
        }
        SdkError::TimeoutError(_) => CloudError::new(
            "Timeout",
            format!("the request to the {service} endpoint timed out"),
        ),
        SdkError::DispatchFailure(failure) => {
            let what = if failure.is_timeout() {
                "timed out connecting to"
            } else if failure.is_io() {
                "cannot reach"
            } else {
                "the request failed to reach"
            };
            CloudError::new(
                "Unreachable",
                format!(
                    "{what} the {service} endpoint: {}",
                    sanitize(&innermost(&err))
                ),
            )
        }
        _ => {
            let text = format!("{}", DisplayErrorContext(&err));
            if text.contains("no credentials") || text.contains("CredentialsNotLoaded") {
                CloudError::new("NoCredentials", NO_CREDENTIALS)
            } else {
                CloudError::message(sanitize(&format!(
                    "the request to the {service} endpoint could not be made: {}",
                    innermost(&err)
                )))
            }
        }
    }
}

/// `502 Bad Gateway from the EC2 endpoint`.
fn status_line(service: &str, raw: &HttpResponse) -> String {
    let status = raw.status().as_u16();
    format!("{status} {} from the {service} endpoint", reason(status))
}

/// An answer without an AWS error document: its status as the code (like
/// OpenStack's errors), or `BadResponse` for a 2xx that is not a usable
/// answer, then the first line of its body.
fn not_aws(service: &str, raw: &HttpResponse) -> CloudError {
    let status = raw.status().as_u16();
    let line = raw.body().bytes().and_then(|body| first_line(body, status));
    let message = if raw.status().is_success() {
        let mut m = format!("{}, but not an {service} answer", status_line(service, raw));
        if let Some(line) = line {
            m.push_str(&format!(": {line}"));
        }
        m
    } else {
        let mut m = format!("{} from the {service} endpoint", reason(status));
        if let Some(line) = line {
            m.push_str(&format!(": {line}"));
        }
        m
    };
    answer_error(raw, message)
}

/// `BadResponse` for a 2xx answer, the status for any other.
fn answer_error(raw: &HttpResponse, message: String) -> CloudError {
    if raw.status().is_success() {
        CloudError::new(BAD_RESPONSE, message)
    } else {
        CloudError::new(raw.status().as_u16().to_string(), message)
    }
}

/// The first line of a body worth showing: markup stripped, lines that
/// only repeat the status skipped, sanitized and shortened.
fn first_line(body: &[u8], status: u16) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let plain = strip_tags(&text);
    let bare = reason(status);
    let with_code = format!("{status} {bare}");
    plain
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .find(|l| !l.eq_ignore_ascii_case(bare) && !l.eq_ignore_ascii_case(&with_code))
        .map(sanitize)
        .filter(|l| !l.is_empty())
}

/// Text between tags, each tag a line break (so `<title>` and `<h1>` lines
/// stay apart).
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push('\n');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// One line, at most [`LINE_LIMIT`] characters, with anything that looks
/// like a credential blanked: a page may echo the request it refused, and
/// the request carries the access key id, the signature and the session
/// token.
pub(super) fn sanitize(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let words: Vec<String> = one_line
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(redact)
        .collect();
    let joined = words.join(" ");
    if joined.chars().count() > LINE_LIMIT {
        let mut short: String = joined.chars().take(LINE_LIMIT).collect();
        short.push('…');
        short
    } else {
        joined
    }
}

/// A word of an answer, or `[redacted]` when it may be a secret: a SigV4
/// `Credential=` / `Signature=` part, an access key id (`AKIA…`, `ASIA…`),
/// or any long unbroken run of token characters (signatures, session
/// tokens, secret keys).
fn redact(word: &str) -> String {
    let core = word.trim_matches(|c: char| matches!(c, ',' | ';' | '"' | '\'' | '.' | ')' | '('));
    let lower = core.to_ascii_lowercase();
    let keyed = ["credential=", "signature=", "x-amz-security-token"]
        .iter()
        .any(|k| lower.contains(k));
    let key_id = (core.starts_with("AKIA") || core.starts_with("ASIA"))
        && core.len() >= 16
        && core.chars().all(|c| c.is_ascii_alphanumeric());
    let token_like = core.len() >= 32
        && core
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-'));
    if keyed || key_id || token_like {
        "[redacted]".to_string()
    } else {
        word.to_string()
    }
}

/// The deepest cause of an error, which is the one that says what happened
/// (`Connection refused`, `end of file before message length reached`).
fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// The first error of type `T` in `err`'s chain of causes.
fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The reason phrase of the statuses an endpoint or a proxy in front of it
/// answers with.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => match status / 100 {
            2 => "Success",
            3 => "Redirect",
            4 => "Client Error",
            _ => "Server Error",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_the_sdk_codes_and_429_503() {
        for code in ["RequestLimitExceeded", "Throttling", "429", "503"] {
            assert!(CloudError::new(code, "slow down").is_throttled(), "{code}");
        }
        for code in ["502", "BadResponse", "InvalidInstanceID.NotFound"] {
            assert!(!CloudError::new(code, "no").is_throttled(), "{code}");
        }
        assert!(!CloudError::message("no code").is_throttled());
    }

    #[test]
    fn credentials_in_an_echoed_request_are_blanked() {
        let echoed = "refused AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260105/eu-west-1/ec2/aws4_request, \
                      SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024 \
                      token IQoJb3JpZ2luX2VjEBAaCWV1LXdlc3QtMSJHMEUCIQD";
        let clean = sanitize(echoed);
        assert!(!clean.contains("AKIA"), "{clean}");
        assert!(!clean.contains("fe5f80f77d"), "{clean}");
        assert!(!clean.contains("IQoJb3JpZ2lu"), "{clean}");
        assert!(
            clean.starts_with("refused AWS4-HMAC-SHA256 [redacted]"),
            "{clean}"
        );
        assert_eq!(sanitize("nginx/1.24.0"), "nginx/1.24.0");
        assert_eq!(sanitize("a\r\nb\tc"), "a b c");
        assert_eq!(sanitize(&"x ".repeat(200)).chars().count(), LINE_LIMIT + 1);
    }

    #[test]
    fn the_first_line_skips_markup_and_the_repeated_status() {
        let nginx = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";
        assert_eq!(first_line(nginx, 502).as_deref(), Some("nginx/1.24.0"));
        assert_eq!(first_line(b"", 503), None);
        assert_eq!(
            first_line(b"\n\nno healthy upstream\n", 503).as_deref(),
            Some("no healthy upstream")
        );
    }
}
