//! Tests of the formatter: rules one by one, every prefix of realistic replies, splitting
//! and streaming stability, checked by an HTML validator written independently of the code
//! under test.

mod validator;
