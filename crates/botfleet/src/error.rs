//! The library's error type. The HTTP layer maps it once to a status and a JSON body
//! (`api/error.rs`); internal details (SQL, I/O) are logged there, never shown.

/// One invalid field of a request, in words a person understands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name in the request body (`name`, `channel_ids[2]`, …).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// The same error for a field nested under `prefix` (`messages[0]` + `content` →
    /// `messages[0].content`).
    pub fn under(self, prefix: &str) -> Self {
        Self { field: format!("{prefix}.{}", self.field), message: self.message }
    }
}

/// Why a caller with a valid credential may not do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its role or scopes lack the permission.
    Permission,
    /// A browser request came from another site (its Origin is missing or not this site's).
    CrossSite,
    /// An admin must enrol two-factor sign-in first.
    TwoFactorRequired,
}

/// Everything that can go wrong in botfleet's core, in the domain's words. The HTTP layer maps it
/// once to a status and a JSON body (`api/error.rs`), the Discord side to a friendly reply.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is well-formed but some fields are invalid.
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// The request cannot be understood (bad JSON, bad cursor, wrong type).
    #[error("{0}")]
    BadRequest(String),
    /// No such thing.
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    /// The change conflicts with the current state (stale version, duplicate name).
    #[error("{0}")]
    Conflict(String),
    /// Something botfleet stored cannot be read back (a column it wrote holds what it never
    /// writes); the message names it and says how to repair it.
    #[error("{0}")]
    Unreadable(String),
    /// The database failed; the detail is logged, not shown.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored secret could not be decrypted (wrong `BOTFLEET_SECRET_KEY`?).
    #[error("a stored secret could not be decrypted with the configured secret key")]
    Decrypt,
    /// Discord refused a request (`status` set) or could not be reached (`None`); the message
    /// explains it in words.
    #[error("{message}")]
    Discord { status: Option<u16>, message: String },
    /// The caller has no valid credential (none, unknown, expired, revoked, a wrong password or
    /// code); the message says what to do.
    #[error("{0}")]
    NotSignedIn(String),
    /// A valid credential that may not do this; the message says why.
    #[error("{message}")]
    Refused { why: Refusal, message: String },
    /// Too many requests or sign-in attempts: try again after `retry_after`.
    #[error("{message}")]
    RateLimited { retry_after: std::time::Duration, message: String },
    /// Configuration or start-up problem, explained.
    #[error("{0}")]
    Config(String),
    /// The bot is run by another node (several nodes on one PostgreSQL database); the message
    /// names it.
    #[error("{0}")]
    OtherNode(String),
}

impl Error {
    /// A single-field validation error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}

/// Result with botfleet's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
