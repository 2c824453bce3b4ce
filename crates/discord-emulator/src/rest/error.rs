//! Discord's REST error shape: `{code, message, errors?}` with Discord's codes and statuses,
//! and the parsers of path, query and body values that answer with it.

use std::collections::HashMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::world::interactions::InteractionError;
use crate::world::limits::FieldError;
use crate::world::WorldError;

/// A REST error response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
    pub errors: Option<Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: u32, message: &str) -> Self {
        Self { status, code, message: message.to_owned(), errors: None }
    }

    /// 401, code 0.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized")
    }
    /// 404, code 0 (no such route).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, 0, "404: Not Found")
    }
    /// 405, code 0.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, 0, "405: Method Not Allowed")
    }
    /// 10003.
    pub fn unknown_channel() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10003, "Unknown Channel")
    }
    /// 10004.
    pub fn unknown_guild() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10004, "Unknown Guild")
    }
    /// 10007.
    pub fn unknown_member() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10007, "Unknown Member")
    }
    /// 10008.
    pub fn unknown_message() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10008, "Unknown Message")
    }
    /// 10013.
    pub fn unknown_user() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10013, "Unknown User")
    }
    /// 10015.
    pub fn unknown_webhook() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10015, "Unknown Webhook")
    }
    /// 10062.
    pub fn unknown_interaction() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10062, "Unknown interaction")
    }
    /// 10063.
    pub fn unknown_command() -> Self {
        Self::new(StatusCode::NOT_FOUND, 10063, "Unknown application command")
    }
    /// 20012.
    pub fn not_your_application() -> Self {
        Self::new(StatusCode::FORBIDDEN, 20012, "You are not authorized to perform this action on this application")
    }
    /// 40060.
    pub fn already_acknowledged() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 40060, "Interaction has already been acknowledged.")
    }
    /// 50001.
    pub fn missing_access() -> Self {
        Self::new(StatusCode::FORBIDDEN, 50001, "Missing Access")
    }
    /// 50005.
    pub fn not_author() -> Self {
        Self::new(StatusCode::FORBIDDEN, 50005, "Cannot edit a message authored by another user")
    }
    /// 50006.
    pub fn empty_message() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 50006, "Cannot send an empty message")
    }
    /// 50013.
    pub fn missing_permissions() -> Self {
        Self::new(StatusCode::FORBIDDEN, 50013, "Missing Permissions")
    }
    /// 50027.
    pub fn invalid_webhook_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 50027, "Invalid Webhook Token")
    }
    /// 50109.
    pub fn invalid_json() -> Self {
        Self::new(StatusCode::BAD_REQUEST, 50109, "The request body contains invalid JSON.")
    }
    /// 30046.
    pub fn too_many_old_edits() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            30046,
            "Maximum number of edits to messages older than 1 hour reached. Try again later",
        )
    }
    /// 503, code 0: the API is down.
    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, 0, "503: Service Unavailable")
    }
    /// The error Discord answers with a given code (for injected faults); code 0 is a bare 500.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::new(StatusCode::INTERNAL_SERVER_ERROR, 0, "500: Internal Server Error"),
            10003 => Self::unknown_channel(),
            10004 => Self::unknown_guild(),
            10008 => Self::unknown_message(),
            10013 => Self::unknown_user(),
            10015 => Self::unknown_webhook(),
            10062 => Self::unknown_interaction(),
            10063 => Self::unknown_command(),
            20012 => Self::not_your_application(),
            30046 => Self::too_many_old_edits(),
            40060 => Self::already_acknowledged(),
            50001 => Self::missing_access(),
            50005 => Self::not_author(),
            50006 => Self::empty_message(),
            50013 => Self::missing_permissions(),
            50027 => Self::invalid_webhook_token(),
            50035 => Self::invalid_field("_", "INJECTED", "Injected by the emulator"),
            other => Self::new(StatusCode::BAD_REQUEST, other, "Error injected by the emulator"),
        }
    }
    /// 50035 with Discord's nested `errors` object, one entry per field path (`embeds.0.title`).
    pub fn invalid_form(fields: &[FieldError]) -> Self {
        let mut errors = Map::new();
        for (path, code, message) in fields {
            let parts: Vec<&str> = path.split('.').collect();
            insert_error(&mut errors, &parts, json!({"code": code, "message": message}));
        }
        Self { errors: Some(Value::Object(errors)), ..Self::new(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body") }
    }
    /// 50035 for one field.
    pub fn invalid_field(path: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::invalid_form(&[(path.to_owned(), code, message.into())])
    }
    /// 50035 for a path parameter that is not a snowflake.
    pub fn not_snowflake(name: &str, value: &str) -> Self {
        Self::invalid_field(name, "NUMBER_TYPE_COERCE", format!("Value \"{value}\" is not snowflake."))
    }
}

/// Puts one error at `path` in Discord's nested `{field: {_errors: [...]}}` tree.
fn insert_error(node: &mut Map<String, Value>, path: &[&str], error: Value) {
    match path.split_first() {
        None => {
            if let Value::Array(list) = node.entry("_errors").or_insert_with(|| json!([])) {
                list.push(error);
            }
        }
        Some((head, rest)) => {
            if let Value::Object(child) = node.entry((*head).to_owned()).or_insert_with(|| Value::Object(Map::new())) {
                insert_error(child, rest, error);
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "message": self.message});
        if let (Some(errors), Some(obj)) = (self.errors, body.as_object_mut()) {
            obj.insert("errors".into(), errors);
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<WorldError> for ApiError {
    fn from(e: WorldError) -> Self {
        match e {
            WorldError::UnknownChannel(_) => Self::unknown_channel(),
            WorldError::UnknownGuild(_) => Self::unknown_guild(),
            WorldError::UnknownMessage(_) => Self::unknown_message(),
            WorldError::UnknownUser(_) => Self::unknown_user(),
            WorldError::UnknownInteraction(_) => Self::unknown_interaction(),
            WorldError::UnknownApplication(_) => Self::not_your_application(),
            WorldError::NotMember { .. } => Self::missing_access(),
            WorldError::Invalid(msg) => Self::invalid_field("_", "INVALID", msg),
        }
    }
}

impl From<InteractionError> for ApiError {
    fn from(e: InteractionError) -> Self {
        match e {
            InteractionError::Unknown => Self::unknown_interaction(),
            InteractionError::AlreadyAcknowledged => Self::already_acknowledged(),
            InteractionError::TokenExpired => Self::invalid_webhook_token(),
            InteractionError::NotAcknowledged => Self::unknown_webhook(),
            InteractionError::UnknownMessage => Self::unknown_message(),
            InteractionError::Empty => Self::empty_message(),
            InteractionError::InvalidForm(fields) => Self::invalid_form(&fields),
            InteractionError::World(w) => w.into(),
        }
    }
}

/// Parses a snowflake path parameter.
pub fn snowflake(name: &str, value: &str) -> Result<u64, ApiError> {
    value.parse().map_err(|_| ApiError::not_snowflake(name, value))
}

/// A boolean query-string parameter (`None` when absent). Discord's API reference ("Boolean
/// Query Strings") documents `True`, `true` or `1` for true and `False`, `false` or `0` for
/// false; clients use more than one (discord.py sends `with_response=1` and `wait=1`). Anything
/// else is refused with a 50035 naming the parameter rather than read as false. The field
/// error's code and wording follow Discord's coercion errors (`NUMBER_TYPE_COERCE`); the docs do
/// not list the boolean one.
pub fn query_bool(query: &HashMap<String, String>, name: &str) -> Result<Option<bool>, ApiError> {
    match query.get(name).map(String::as_str) {
        None => Ok(None),
        Some("True" | "true" | "1") => Ok(Some(true)),
        Some("False" | "false" | "0") => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid_field(
            name,
            "BOOLEAN_TYPE_COERCE",
            format!("Value \"{other}\" is not a valid boolean."),
        )),
    }
}

/// A 200 with a body already rendered as JSON text (what `Json` sends, without a `Value` tree).
pub fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// Parses a JSON request body; Discord answers 50109 for anything that is not JSON.
pub fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|_| ApiError::invalid_json())
}
