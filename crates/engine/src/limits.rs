//! The bounds on what a configuration and a state may ask of the machine. Each is
//! checked before the work it bounds, and exceeding one is an error that names the
//! limit and the place (file:line) that exceeded it.

/// The largest `.tf` file read, in bytes.
pub const MAX_CONFIG_FILE_BYTES: usize = 8 << 20;

/// The most `.tf` files read from one directory.
pub const MAX_CONFIG_FILES: usize = 1000;

/// The deepest bracket nesting (`(`, `[`, `{`, `${`) a `.tf` file may have: deeper
/// nesting is refused before parsing, since the parser recurses on it.
pub const MAX_SYNTAX_NESTING: usize = 128;

/// The stack of every thread that evaluates configuration: evaluation recurses, and the
/// depth limits here are sized for this stack (a host runs its commands on a thread this
/// large).
pub const STACK_BYTES: usize = 256 << 20;

/// The deepest chain of nested expressions evaluated at once, counting every local
/// value, function call and operand on the way (a chain of locals that each refer to
/// the next counts one or more levels per local).
pub const MAX_EVAL_DEPTH: usize = 1000;

/// The most instances one resource block may expand to (`count` or `for_each`).
pub const MAX_INSTANCES_PER_RESOURCE: usize = 10_000;

/// The deepest chain of module calls (a module that calls a module that …).
pub const MAX_MODULE_DEPTH: usize = 16;
/// Nested blocks in a resource (`entries { command { … } }`) at most this deep.
pub const MAX_NESTED_BLOCK_DEPTH: usize = 8;

/// The most module instances a configuration may expand to, over all calls.
pub const MAX_MODULE_INSTANCES: usize = 1000;

/// The longest string an expression may produce, in bytes.
pub const MAX_STRING_BYTES: usize = 16 << 20;
