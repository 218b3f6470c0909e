//! Use cases that take more than one store call and the core: handlers, the CLI and the
//! benchmarks call these, so each runs the same code whoever asks.

pub mod matching_run;
