//! Nothing here: the tests are the point of this crate.
