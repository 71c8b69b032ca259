//! The portal's administration: partners, portal users, API clients and
//! API tokens (the ISP reference's `/Admin/getToken`). Only
//! administrators (`domain::portal::Role::check_administers`), and only
//! within the partners the session sees; a record of another partner is
//! not found. Secrets are shown once and kept as hashes.

use crate::error::missing;
use crate::portal::Session;
use crate::{App, Result};
use domain::portal::Role;
use domain::Scopes;
use store::credentials::{ApiClient, ApiUser, NewClient};
use store::partners::Partner;
use store::portal::PortalUser;
use store::tokens::TokenRow;
use store::Visibility;

impl App {
    /// Creates an API user of a partner (the `user create` command): the
    /// name, password and scopes checked by `domain::scope::check_api_user`.
    pub async fn create_api_user(
        &self,
        actor: &str,
        partner_id: i64,
        username: &str,
        password: &str,
        scopes: Scopes,
    ) -> Result<ApiUser> {
        domain::scope::check_api_user(username, password, &scopes)?;
        self.store
            .credentials()
            .create_user(actor, partner_id, username, password, scopes)
            .await
            .map_err(missing("partner", partner_id))
    }

    /// Creates a partner (a dealer, an integrator, or the house account):
    /// platform staff only, its name checked by `domain::text::check_name`.
    pub async fn create_partner(&self, s: &Session, name: &str, is_house: bool) -> Result<Partner> {
        s.role.check_platform("create partners")?;
        let name = domain::text::check_name(name)?;
        Ok(self.store.partners().create_partner(&s.principal.actor, name, is_house).await?)
    }

    /// The partners an administrator sees: every one for platform staff,
    /// its own for a partner administrator.
    pub async fn partners(&self, s: &Session) -> Result<Vec<Partner>> {
        s.role.check_administers()?;
        match s.principal.visibility() {
            Visibility::All => Ok(self.store.partners().list_partners().await?),
            Visibility::Partner(id) => Ok(vec![self.store.partners().get_partner(id).await?]),
        }
    }

    /// The portal users an administrator sees.
    pub async fn portal_users(&self, s: &Session) -> Result<Vec<PortalUser>> {
        s.role.check_administers()?;
        Ok(self.store.portal().users_visible(s.principal.visibility()).await?)
    }

    /// Makes a portal user of the administrator's partner (platform staff
    /// may name another), never of a higher rank than the maker.
    pub async fn add_portal_user(
        &self,
        s: &Session,
        partner_id: Option<i64>,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<PortalUser> {
        s.role.may_grant_role(role)?;
        let partner = self.partner_for(s, partner_id).await?;
        self.create_portal_user(&s.principal.actor, partner, username, password, role).await
    }

    /// The API users (owners of API tokens) an administrator sees.
    pub async fn api_users(&self, s: &Session) -> Result<Vec<ApiUser>> {
        s.role.check_administers()?;
        Ok(self.store.credentials().users_visible(s.principal.visibility()).await?)
    }

    /// The API tokens an administrator sees, newest first.
    pub async fn api_tokens(&self, s: &Session) -> Result<Vec<TokenRow>> {
        s.role.check_administers()?;
        Ok(self.store.tokens().tokens_visible(s.principal.visibility()).await?)
    }

    /// "Create API access token" for one of the API users the
    /// administrator sees: the row and the token, shown this once.
    pub async fn create_api_token(
        &self,
        s: &Session,
        user_id: i64,
        description: &str,
    ) -> Result<(TokenRow, String)> {
        let user =
            self.api_users(s).await?.into_iter().find(|u| u.id == user_id).ok_or_else(|| {
                domain::Error::invalid("user", "choose one of the API users listed")
            })?;
        self.create_token(&s.principal.actor, &user.username, description).await
    }

    /// Makes an API token for the API user named `username` (the portal's
    /// form and the `token create` command): not for a disabled user, with
    /// a description checked by `domain::text`. The token is shown once.
    pub async fn create_token(
        &self,
        actor: &str,
        username: &str,
        description: &str,
    ) -> Result<(TokenRow, String)> {
        let description = domain::text::check_description(description)?;
        let user = self
            .store
            .credentials()
            .user_by_name(username)
            .await?
            .ok_or_else(|| domain::Error::not_found(format!("no user named {username:?}")))?;
        domain::scope::check_token_holder(username, user.disabled_at.is_some())?;
        Ok(self.store.tokens().create_api_token(actor, &user, description).await?)
    }

    /// Revokes an API token the administrator sees.
    pub async fn revoke_api_token(&self, s: &Session, token_id: i64) -> Result<()> {
        let token = self
            .api_tokens(s)
            .await?
            .into_iter()
            .find(|t| t.id == token_id)
            .ok_or_else(|| domain::Error::not_found(format!("token {token_id} not found")))?;
        if token.revoked_at.is_some() {
            return Err(
                domain::Error::Conflict(format!("token {token_id} is already revoked")).into()
            );
        }
        Ok(self.store.tokens().revoke_api_token(&s.principal.actor, token_id).await?)
    }

    /// The API clients an administrator sees, newest first.
    pub async fn api_clients(&self, s: &Session) -> Result<Vec<ApiClient>> {
        s.role.check_administers()?;
        Ok(self.store.credentials().clients_visible(s.principal.visibility()).await?)
    }

    /// Makes an API client (OAuth client credentials) with scopes the
    /// maker has; the secret is shown this once.
    pub async fn create_api_client(
        &self,
        s: &Session,
        partner_id: Option<i64>,
        scopes: &str,
        description: &str,
    ) -> Result<NewClient> {
        let scopes = Scopes::parse(scopes)?;
        s.role.may_grant_scopes(scopes)?;
        let partner = self.partner_for(s, partner_id).await?;
        self.create_client(&s.principal.actor, partner, scopes, description).await
    }

    /// Makes an API client of a partner (the portal's form, once it has
    /// checked the maker, and the `client create` command): its scopes and
    /// description checked by `domain::scope::check_client`.
    pub async fn create_client(
        &self,
        actor: &str,
        partner_id: i64,
        scopes: Scopes,
        description: &str,
    ) -> Result<NewClient> {
        let description = domain::scope::check_client(scopes, description)?;
        self.store
            .credentials()
            .create_client(actor, partner_id, scopes, description)
            .await
            .map_err(missing("partner", partner_id))
    }

    /// Revokes an API client the administrator sees; its tokens stop working.
    pub async fn revoke_api_client(&self, s: &Session, client_id: &str) -> Result<()> {
        self.api_clients(s)
            .await?
            .into_iter()
            .find(|c| c.client_id == client_id)
            .ok_or_else(|| domain::Error::not_found(format!("client {client_id} not found")))?;
        self.store
            .credentials()
            .revoke_client(&s.principal.actor, client_id)
            .await
            .map_err(missing("client", client_id))
    }

    /// The partner a new user or client belongs to: the administrator's
    /// own, or (platform staff only) one named.
    async fn partner_for(&self, s: &Session, named: Option<i64>) -> Result<i64> {
        match (named, s.principal.visibility()) {
            (None, _) => Ok(s.principal.partner_id),
            (Some(id), Visibility::All) => {
                self.store.partners().get_partner(id).await.map_err(missing("partner", id))?;
                Ok(id)
            }
            (Some(id), Visibility::Partner(own)) if id == own => Ok(own),
            (Some(id), _) => {
                Err(domain::Error::not_found(format!("partner {id} not found")).into())
            }
        }
    }
}
