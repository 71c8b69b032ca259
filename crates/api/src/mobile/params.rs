//! The mobile face's required query parameters: each struct documents
//! one (its `IntoParams`) and names it for the [`Id`](crate::extract::Id)
//! and [`Text`](crate::extract::Text) extractors, which refuse it missing
//! or wrong with a 400 naming it.

use crate::extract::Required;

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

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ContractParam {
    #[param(value_type = i64, required = true, minimum = 1)]
    pub contract_id: Option<String>,
}

impl Required for ContractParam {
    const NAME: &str = "contractId";
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct TariffParam {
    #[param(value_type = i64, required = true, minimum = 1)]
    pub tariff_id: Option<String>,
}

impl Required for TariffParam {
    const NAME: &str = "tariffId";
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct CustomerIdParam {
    #[param(value_type = i64, required = true, minimum = 1)]
    pub customer_id: Option<String>,
}

impl Required for CustomerIdParam {
    const NAME: &str = "customerId";
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct OrderIdParam {
    #[param(value_type = i64, required = true, minimum = 1)]
    pub order_id: Option<String>,
}

impl Required for OrderIdParam {
    const NAME: &str = "orderId";
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct RequestIdParam {
    #[param(value_type = i64, required = true, minimum = 1)]
    pub request_id: Option<String>,
}

impl Required for RequestIdParam {
    const NAME: &str = "requestId";
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct TaskIdParam {
    #[param(value_type = i64, required = true, minimum = 1)]
    pub task_id: Option<String>,
}

impl Required for TaskIdParam {
    const NAME: &str = "taskId";
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct WebhookParam {
    #[param(value_type = i64, required = true, minimum = 1)]
    pub webhook_id: Option<String>,
}

impl Required for WebhookParam {
    const NAME: &str = "webhookId";
}
