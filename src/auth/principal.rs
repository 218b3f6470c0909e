//! Who is calling, once their credentials are checked.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a caller is allowed to be. Residents and volunteers are one role: everyone can both ask
/// and offer. Organiser rights come from being recorded as an organiser of an initiative, so an
/// `organiser` role claim grants nothing a resident does not have until that record exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// No credentials.
    Anonymous,
    /// A resident (who may also volunteer).
    Resident,
    /// A resident who organises one or more initiatives.
    Organiser,
    /// A wijkteam professional, scoped to gemeenten.
    Professional,
    /// An administrator of one or more gemeenten.
    Admin,
}

impl Role {
    /// Reads a role claim or a stored key role. `volunteer` is a resident.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "resident" | "volunteer" => Self::Resident,
            "organiser" | "organizer" => Self::Organiser,
            "professional" => Self::Professional,
            "admin" => Self::Admin,
            _ => return None,
        })
    }

    /// The stored and wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Resident => "resident",
            Self::Organiser => "organiser",
            Self::Professional => "professional",
            Self::Admin => "admin",
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Nothing.
    Anonymous,
    /// A bearer token from the trusted issuer, with its subject.
    Token {
        /// The token's `sub`.
        subject: String,
    },
    /// An API key.
    Key {
        /// The key's id.
        id: Uuid,
    },
}

/// A caller whose credentials have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The role.
    pub role: Role,
    /// How they signed in.
    pub credential: Credential,
    /// The caller's own person record, once they have created one.
    pub person_id: Option<Uuid>,
    /// Gemeenten (GM codes) a professional or admin works in.
    pub gemeenten: Vec<String>,
    /// Initiatives the caller acts for: those they organise, or the one a key belongs to.
    pub initiatives: Vec<Uuid>,
}

impl Principal {
    /// A caller without credentials.
    pub fn anonymous() -> Self {
        Self { role: Role::Anonymous, credential: Credential::Anonymous, person_id: None, gemeenten: Vec::new(), initiatives: Vec::new() }
    }

    /// Whether the caller is this person.
    pub fn is_person(&self, person: Uuid) -> bool {
        self.person_id == Some(person)
    }

    /// Whether the caller works in this gemeente as a professional.
    pub fn professional_in(&self, gemeente: &str) -> bool {
        self.role == Role::Professional && self.gemeenten.iter().any(|g| g == gemeente)
    }

    /// Whether the caller administers this gemeente.
    pub fn admin_of(&self, gemeente: &str) -> bool {
        self.role == Role::Admin && self.gemeenten.iter().any(|g| g == gemeente)
    }

    /// Whether the caller may act for this initiative.
    pub fn acts_for(&self, initiative: Uuid) -> bool {
        self.initiatives.contains(&initiative)
    }

    /// A stable name for the audit log: `token:<sub>`, `key:<id>` or `anonymous`.
    pub fn actor(&self) -> String {
        match &self.credential {
            Credential::Anonymous => "anonymous".into(),
            Credential::Token { subject } => format!("token:{subject}"),
            Credential::Key { id } => format!("key:{id}"),
        }
    }
}
