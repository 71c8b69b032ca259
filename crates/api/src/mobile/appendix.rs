//! Appendix controller: the live reference data other calls take ids from.

use super::views::{List, Paging};
use crate::error::ApiResult;
use crate::extract::QueryParams;
use crate::{Call, Principal};
use axum::Json;
use domain::appendix::{self, DiaryTask, Entry};
use domain::Network;
use serde::Serialize;
use utoipa::ToSchema;

/// A reference entry: id, name and what it means.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppendixEntry {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
}

impl From<&Entry> for AppendixEntry {
    fn from(e: &Entry) -> Self {
        AppendixEntry { id: e.id, name: e.name.into(), description: e.description.map(Into::into) }
    }
}

/// A network and what it offers resellers.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkEntry {
    pub id: i64,
    pub name: String,
    /// Whether ListAvailableNumbers offers new numbers on it.
    pub offers_numbers: bool,
    pub esim: bool,
    /// ICCIDs of its SIMs start with this.
    pub iccid_prefix: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BarSuffixEntry {
    pub bar_suffix: String,
    pub name: String,
    pub category: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiaryTaskEntry {
    pub id: i64,
    pub diary_type_id: i64,
    pub name: String,
}

impl From<&DiaryTask> for DiaryTaskEntry {
    fn from(t: &DiaryTask) -> Self {
        DiaryTaskEntry { id: t.id, diary_type_id: t.diary_type_id, name: t.name.into() }
    }
}

fn entries(list: &[Entry], paging: &Paging) -> ApiResult<Json<List<AppendixEntry>>> {
    Ok(Json(List::paginate(list, paging.request()?)))
}

/// The networks.
#[utoipa::path(get, path = "/api/Appendix/Networks", tag = "Appendix", params(Paging), responses((status = 200, body = List<NetworkEntry>)))]
pub async fn networks(
    _who: Principal,
    QueryParams(p): QueryParams<Paging>,
) -> ApiResult<Json<List<NetworkEntry>>> {
    let all = Network::ALL.iter().map(|n| NetworkEntry {
        id: n.id(),
        name: n.as_str().into(),
        offers_numbers: n.offers_numbers(),
        esim: n.supports_esim(),
        iccid_prefix: n.iccid_prefix().into(),
    });
    Ok(Json(List::paginate(all, p.request()?)))
}

/// Connection types AddMobileToOrder takes.
#[utoipa::path(get, path = "/api/Appendix/ConnectionTypes", tag = "Appendix", params(Paging), responses((status = 200, body = List<AppendixEntry>)))]
pub async fn connection_types(
    _who: Principal,
    QueryParams(p): QueryParams<Paging>,
) -> ApiResult<Json<List<AppendixEntry>>> {
    entries(appendix::CONNECTION_TYPES, &p)
}

/// Bar suffixes in the catalogue.
#[utoipa::path(get, path = "/api/Appendix/BarSuffixes", tag = "Appendix", params(Paging), responses((status = 200, body = List<BarSuffixEntry>)))]
pub async fn bar_suffixes(
    Call { app, .. }: Call,
    QueryParams(p): QueryParams<Paging>,
) -> ApiResult<Json<List<BarSuffixEntry>>> {
    let all = app
        .bar_suffixes()
        .await?
        .into_iter()
        .map(|(bar_suffix, name, category)| BarSuffixEntry { bar_suffix, name, category });
    Ok(Json(List::paginate(all, p.request()?)))
}

/// Diary (task) types.
#[utoipa::path(get, path = "/api/Appendix/DiaryTypes", tag = "Appendix", params(Paging), responses((status = 200, body = List<AppendixEntry>)))]
pub async fn diary_types(
    _who: Principal,
    QueryParams(p): QueryParams<Paging>,
) -> ApiResult<Json<List<AppendixEntry>>> {
    entries(appendix::DIARY_TYPES, &p)
}

/// Diary tasks, each under a diary type.
#[utoipa::path(get, path = "/api/Appendix/DiaryTasks", tag = "Appendix", params(Paging), responses((status = 200, body = List<DiaryTaskEntry>)))]
pub async fn diary_tasks(
    _who: Principal,
    QueryParams(p): QueryParams<Paging>,
) -> ApiResult<Json<List<DiaryTaskEntry>>> {
    Ok(Json(List::paginate(appendix::DIARY_TASKS, p.request()?)))
}

/// Task status ids.
#[utoipa::path(get, path = "/api/Appendix/StatusIds", tag = "Appendix", params(Paging), responses((status = 200, body = List<AppendixEntry>)))]
pub async fn status_ids(
    _who: Principal,
    QueryParams(p): QueryParams<Paging>,
) -> ApiResult<Json<List<AppendixEntry>>> {
    entries(appendix::STATUS_IDS, &p)
}
