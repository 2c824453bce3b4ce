//! The load driver (next).
