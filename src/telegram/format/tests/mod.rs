//! Tests of the formatter: rules one by one, every prefix of realistic replies, splitting
//! and streaming stability, checked by an HTML validator written independently of the code
//! under test.

mod bench;
mod corpus;
mod linearity;
mod long_reply;
mod markdown_rules;
mod prefixes;
mod splitting;
mod streaming;
mod validator;
mod writer;
