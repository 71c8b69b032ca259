//! The mobile reseller API (`/api/{Controller}/{Method}`), in the dialect
//! integrators of UK reseller platforms already use: camelCase parameters,
//! JSON bodies, `{"response_message": ...}` errors. One module per
//! controller; shapes shared between them live in `views`.

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod alerting;
pub mod appendix;
pub mod bill_limits;
pub mod catalogue;
pub mod connections;
pub mod customers;
pub mod orders;
pub mod params;
pub mod requests;
pub mod switching;
pub mod tasks;
pub mod usage;
pub mod views;
pub mod webhooks;

/// Every route of the mobile face.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(customers::create_customer))
        .routes(routes!(customers::get_customer_details))
        .routes(routes!(customers::list_customers))
        .routes(routes!(connections::connections_by_cli))
        .routes(routes!(connections::get_connection_by_cli))
        .routes(routes!(connections::get_connection_by_customer_id))
        .routes(routes!(catalogue::list_tariffs_for_network))
        .routes(routes!(catalogue::get_tariffs_for_contract))
        .routes(routes!(catalogue::bill_cap_eligible_tariffs))
        .routes(routes!(catalogue::list_bundles_for_tariff))
        .routes(routes!(catalogue::list_bundles_for_network))
        .routes(routes!(catalogue::list_bars_for_network))
        .routes(routes!(orders::create_draft_order))
        .routes(routes!(orders::add_mobile_to_order))
        .routes(routes!(orders::remove_mobile_from_order))
        .routes(routes!(orders::add_bundle_to_mobile))
        .routes(routes!(orders::remove_bundle_from_mobile))
        .routes(routes!(orders::add_bar_to_mobile_order))
        .routes(routes!(orders::remove_bar_from_mobile_order))
        .routes(routes!(orders::submit_order))
        .routes(routes!(orders::return_order_to_draft))
        .routes(routes!(orders::cancel_order))
        .routes(routes!(orders::get_order_details))
        .routes(routes!(orders::get_orders_for_customer))
        .routes(routes!(orders::monitor_order))
        .routes(routes!(orders::monitor_order_bulk))
        .routes(routes!(orders::list_available_numbers))
        .routes(routes!(tasks::get_tickets_for_order))
        .routes(routes!(tasks::get_tickets_for_order_bulk))
        .routes(routes!(requests::add_or_remove_bar))
        .routes(routes!(requests::add_bundle))
        .routes(routes!(requests::remove_bundle))
        .routes(routes!(requests::change_tariff))
        .routes(routes!(requests::change_sim))
        .routes(routes!(requests::create_esim_request))
        .routes(routes!(switching::request_pac))
        .routes(routes!(switching::request_stac))
        .routes(routes!(switching::request_info))
        .routes(routes!(switching::get_switching_requests))
        .routes(routes!(requests::get_diverts))
        .routes(routes!(requests::set_divert))
        .routes(routes!(requests::remove_divert))
        .routes(routes!(requests::get_request))
        .routes(routes!(requests::get_requests_for_contract))
        .routes(routes!(tasks::create_task))
        .routes(routes!(tasks::add_comment))
        .routes(routes!(tasks::get_tasks_for_customer))
        .routes(routes!(tasks::get_comments_for_task))
        .routes(routes!(tasks::get_comments_for_task_bulk))
        .routes(routes!(tasks::view_task_status_bulk))
        .routes(routes!(usage::get_data_usage))
        .routes(routes!(alerting::get_alerting_settings))
        .routes(routes!(alerting::set_alerting_settings))
        .routes(routes!(alerting::get_cli_alerting_bar_status))
        .routes(routes!(alerting::get_alerts))
        .routes(routes!(bill_limits::get_bill_limit))
        .routes(routes!(bill_limits::set_bill_cap))
        .routes(routes!(bill_limits::record_consent))
        .routes(routes!(webhooks::create_webhook))
        .routes(routes!(webhooks::list_webhooks))
        .routes(routes!(webhooks::delete_webhook))
        .routes(routes!(webhooks::get_deliveries))
        .routes(routes!(webhooks::redeliver_event))
        .routes(routes!(usage::get_usage_information_for_cli))
        .routes(routes!(usage::import_records))
        .routes(routes!(appendix::networks))
        .routes(routes!(appendix::connection_types))
        .routes(routes!(appendix::bar_suffixes))
        .routes(routes!(appendix::diary_types))
        .routes(routes!(appendix::diary_tasks))
        .routes(routes!(appendix::status_ids))
}
