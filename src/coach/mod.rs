//! The coach: personas, prompt assembly, conversation memory.

pub mod personas;
