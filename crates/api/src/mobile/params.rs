//! The mobile face's required query parameters: each type documents one
//! (its `IntoParams`) and names it for the [`Id`](crate::extract::Id) and
//! [`Text`](crate::extract::Text) extractors, which refuse it missing or
//! wrong with a 400 naming it. The ids are one generic [`IdParam`], named
//! by a marker type each.

use crate::extract::Required;
use std::marker::PhantomData;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CliParam {
    /// The mobile number: `07…`, `447…` or `+447…`.
    #[param(value_type = String, required = true, pattern = r"^(07|447|\+447)[1-57-9][0-9]{8}$")]
    pub cli: Option<String>,
}

impl Required for CliParam {
    const NAME: &str = "cli";
}

/// A required id in the query string, named by `K`'s [`Required::NAME`]:
/// documented as a whole number from 1, and read by
/// [`Id`](crate::extract::Id), which refuses it missing or not a positive
/// whole number with a 400 naming it.
pub struct IdParam<K>(PhantomData<K>);

impl<K: Required> Required for IdParam<K> {
    const NAME: &str = K::NAME;
}

impl<K: Required> utoipa::IntoParams for IdParam<K> {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let whole_from_one = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1));
        vec![ParameterBuilder::new()
            .name(K::NAME)
            .parameter_in(parameter_in().unwrap_or(ParameterIn::Query))
            .required(utoipa::openapi::Required::True)
            .schema(Some(whole_from_one))
            .build()]
    }
}

/// Declares the id parameters: a name for each, and its [`IdParam`].
macro_rules! id_params {
    ($($param:ident: $key:ident = $name:literal;)*) => {$(
        #[doc = concat!("The `", $name, "` query parameter.")]
        pub enum $key {}

        impl Required for $key {
            const NAME: &str = $name;
        }

        #[doc = concat!("A required `", $name, "` (see [`IdParam`]).")]
        pub type $param = IdParam<$key>;
    )*};
}

id_params! {
    ContractParam: ContractId = "contractId";
    TariffParam: TariffId = "tariffId";
    CustomerIdParam: CustomerId = "customerId";
    OrderIdParam: OrderId = "orderId";
    RequestIdParam: RequestId = "requestId";
    TaskIdParam: TaskId = "taskId";
    WebhookParam: WebhookId = "webhookId";
}
