//! The one check of a request's values against what the spec says of them: the parameters
//! ([`Operation::check_params`], [`Param::check`]) and the body ([`Body::verify`],
//! [`Field::check`]): required ones present, each of its kind with every constraint the spec
//! states ([`Kind::accepts`], [`Kind::accepts_json`]). The `menu` command line runs it before
//! sending, the mock on what it receives: they cannot disagree. A [`Refusal`] says what is wrong.

use super::{Body, Field, Kind, Operation, Param};

/// Why a request's values are not ones its operation takes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A required parameter or body field is missing.
    Missing(Subject),
    /// A parameter or body field is not of its kind (its [`Kind::describe`] says what it must
    /// be).
    Invalid(Subject),
    /// The body as a whole is not of its schema (not an object, or it does not decode into its
    /// generated type): the reason.
    Body(String),
}

/// The parameter or body field a [`Refusal`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// A parameter.
    Param(Param),
    /// A top-level field of the body.
    Field(Field),
}

impl Subject {
    /// The parameter's or field's name, as sent.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Param(param) => param.name,
            Self::Field(field) => field.name,
        }
    }

    /// What its value must be.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Param(param) => param.kind,
            Self::Field(field) => field.kind,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            Self::Param(_) => "parameter",
            Self::Field(_) => "field",
        }
    }
}

impl Refusal {
    /// The parameter or field at fault, if it is one.
    pub fn subject(&self) -> Option<&Subject> {
        match self {
            Self::Missing(subject) | Self::Invalid(subject) => Some(subject),
            Self::Body(_) => None,
        }
    }
}

/// `customer_id parameter is required`, `confirmation_code field must be text matching
/// `^[0-9]+$``, `request body is invalid: <reason>` (a sentence's end: put `The ` before it).
impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(subject) => {
                write!(f, "{} {} is required", subject.name(), subject.what())
            }
            Self::Invalid(subject) => write!(
                f,
                "{} {} must be {}",
                subject.name(),
                subject.what(),
                subject.kind().describe()
            ),
            Self::Body(reason) => write!(f, "request body is invalid: {reason}"),
        }
    }
}

impl std::error::Error for Refusal {}

impl Param {
    /// Checks this parameter's `value` as sent (`None` when absent): present if required, of
    /// its kind.
    pub fn check(&self, value: Option<&str>) -> Result<(), Refusal> {
        match value {
            None if self.required => Err(Refusal::Missing(Subject::Param(*self))),
            Some(value) if !self.kind.accepts(value) => {
                Err(Refusal::Invalid(Subject::Param(*self)))
            }
            _ => Ok(()),
        }
    }
}

impl Field {
    /// Checks this field's `value` in a body (`None` when absent): present if required, of its
    /// kind (never `null`: the spec marks nothing `nullable`).
    pub fn check(&self, value: Option<&serde_json::Value>) -> Result<(), Refusal> {
        match value {
            None if self.required => Err(Refusal::Missing(Subject::Field(*self))),
            Some(value) if !self.kind.accepts_json(value) => {
                Err(Refusal::Invalid(Subject::Field(*self)))
            }
            _ => Ok(()),
        }
    }
}

impl Body {
    /// Checks a body: an object if the schema is one; each top-level field ([`Field::check`]);
    /// then the whole against the generated type ([`Body::check`]: nested objects, types).
    pub fn verify(&self, value: &serde_json::Value) -> Result<(), Refusal> {
        if self.object && !value.is_object() {
            return Err(Refusal::Body("expected a JSON object".to_owned()));
        }
        for field in self.fields {
            field.check(value.get(field.name))?;
        }
        let bytes = serde_json::to_vec(value).map_err(|e| Refusal::Body(e.to_string()))?;
        (self.check)(&bytes).map_err(Refusal::Body)
    }
}

impl Operation {
    /// Checks every parameter ([`Param::check`]), `value` giving each one's value as sent (`None`
    /// when absent), in the table's order (path parameters first).
    pub fn check_params<'v>(
        &self,
        value: impl Fn(&Param) -> Option<&'v str>,
    ) -> Result<(), Refusal> {
        self.params
            .iter()
            .try_for_each(|param| param.check(value(param)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Location, Text};
    use super::*;
    use serde_json::json;

    static CODE: Field = Field {
        name: "confirmation_code",
        kind: Kind::String(Text {
            min_length: 0,
            max_length: None,
            pattern: Some("^[0-9]+$"),
        }),
        required: true,
        description: "",
        one_time_code: true,
    };

    #[test]
    fn refusals_name_what_is_wrong() {
        let body = Body {
            required: true,
            object: true,
            fields: std::slice::from_ref(&CODE),
            example: None,
            check: |_| Ok(()),
        };
        assert_eq!(body.verify(&json!({"confirmation_code": "0164"})), Ok(()));
        let empty = body.verify(&json!({"confirmation_code": ""})).unwrap_err();
        assert_eq!(
            empty.to_string(),
            "confirmation_code field must be text matching `^[0-9]+$`"
        );
        assert_eq!(
            empty.subject().map(Subject::name),
            Some("confirmation_code")
        );
        assert_eq!(
            body.verify(&json!({})).unwrap_err().to_string(),
            "confirmation_code field is required"
        );
        assert_eq!(
            body.verify(&json!([])).unwrap_err().to_string(),
            "request body is invalid: expected a JSON object"
        );
        let page = Param {
            name: "page",
            location: Location::Query,
            required: true,
            kind: Kind::Integer {
                minimum: 1,
                maximum: 9,
            },
            description: "",
            customer: false,
            secret: false,
        };
        assert_eq!(page.check(Some("3")), Ok(()));
        assert_eq!(
            page.check(Some("0")).unwrap_err().to_string(),
            "page parameter must be an integer from 1 to 9"
        );
        assert_eq!(
            page.check(None).unwrap_err().to_string(),
            "page parameter is required"
        );
    }
}
