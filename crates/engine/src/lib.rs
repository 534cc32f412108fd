//! The ycprov engine.
