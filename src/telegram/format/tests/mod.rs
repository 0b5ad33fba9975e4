//! Tests of the formatter: rules one by one, every prefix of realistic replies, splitting
//! and streaming stability, checked by an HTML validator written independently of the code
//! under test.

mod corpus;
mod long_reply;
mod markdown_rules;
mod prefixes;
mod splitting;
mod streaming;
mod validator;

#[test]
#[ignore]
fn dump() {
    for (i, reply) in corpus::REPLIES.iter().enumerate() {
        let html = super::markdown_to_html(reply);
        println!("==== {i}\n{html}\n-- valid: {:?}", validator::check_telegram_html(&html));
    }
}
