//! Refuses EC2 answers that are not one complete XML document.
//!
//! The SDK's XML decoder (aws-smithy-xml's `Document`, which the generated
//! EC2 deserializers use without its well-formedness mode) ends every open
//! element silently at the end of the input and skips tokens it cannot
//! read: a 200 answer cut off inside `<instanceId>` deserializes into a
//! listing with a made-up, half-read instance, and one cut between
//! instances into a listing that lacks the rest. An interceptor sees the
//! whole body once the SDK has read it (`read_after_deserialization`), and
//! its error replaces whatever the deserializer made of it.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use xmlparser::{ElementEnd, Token, Tokenizer};

/// Why an answer is not a complete document; shown after "200 OK from the
/// EC2 endpoint, but ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncompleteAnswer {
    #[error("the answer is empty")]
    Empty,
    #[error("the answer is not UTF-8 text")]
    NotText,
    #[error("the answer is not well-formed XML ({0})")]
    Malformed(String),
    #[error("the answer stops inside <{0}>: it was cut off")]
    CutOff(String),
}

/// Checks that `body` is one complete, well-formed XML document: every
/// element closed by its own end tag, nothing after the root but
/// whitespace, comments and processing instructions.
pub fn check_complete(body: &[u8]) -> Result<(), IncompleteAnswer> {
    let text = std::str::from_utf8(body).map_err(|_| IncompleteAnswer::NotText)?;
    let mut open: Vec<&str> = Vec::new();
    let mut had_root = false;
    for token in Tokenizer::from(text) {
        // The tokenizer's errors give a position, never the content.
        match token.map_err(|e| IncompleteAnswer::Malformed(e.to_string()))? {
            Token::ElementStart { local, .. } => {
                open.push(local.as_str());
                had_root = true;
            }
            Token::ElementEnd {
                end: ElementEnd::Close(_, local),
                ..
            } if open.pop() != Some(local.as_str()) => {
                return Err(IncompleteAnswer::Malformed(format!(
                    "</{}> closes an element that is not open",
                    local.as_str()
                )));
            }
            Token::ElementEnd {
                end: ElementEnd::Empty,
                ..
            } => {
                open.pop();
            }
            _ => {}
        }
    }
    match open.last() {
        Some(inner) => Err(IncompleteAnswer::CutOff((*inner).to_string())),
        None if !had_root => Err(IncompleteAnswer::Empty),
        None => Ok(()),
    }
}

/// The interceptor on every EC2 call: a successful (2xx) answer must be a
/// complete document. Error answers are left to the SDK, which reads their
/// code (or finds none, see `errors::not_aws`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CompleteXml;

impl Intercept for CompleteXml {
    fn name(&self) -> &'static str {
        "hytop-complete-xml"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        if !response.status().is_success() {
            return Ok(());
        }
        // No EC2 operation streams its answer, so the body is in memory by
        // now; a streaming body has nothing to check here.
        match response.body().bytes() {
            Some(body) => check_complete(body).map_err(BoxError::from),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_documents_pass() {
        let doc = b"<?xml version=\"1.0\"?>\n<R xmlns=\"x\"><a>1</a><b/><c><d>x</d></c></R>\n<!-- end -->\n";
        assert_eq!(check_complete(doc), Ok(()));
    }

    #[test]
    fn incomplete_documents_say_where_they_stop() {
        assert_eq!(
            check_complete(b"<R><set><item><instanceId>i-0a"),
            Err(IncompleteAnswer::CutOff("instanceId".into()))
        );
        assert_eq!(
            check_complete(b"<R><set></set>"),
            Err(IncompleteAnswer::CutOff("R".into()))
        );
        assert!(matches!(
            check_complete(b"<R><a></b></R>"),
            Err(IncompleteAnswer::Malformed(_))
        ));
        assert!(matches!(
            check_complete(b"<R><instanceSta"),
            Err(IncompleteAnswer::Malformed(_) | IncompleteAnswer::CutOff(_))
        ));
        assert!(matches!(
            check_complete(b"<R/><R/>"),
            Err(IncompleteAnswer::Malformed(_))
        ));
        assert_eq!(check_complete(b"  \n"), Err(IncompleteAnswer::Empty));
        assert_eq!(
            check_complete(&[0xff, 0xfe]),
            Err(IncompleteAnswer::NotText)
        );
    }
}
