//! `#[backend_test]`: an integration test that runs once per database
//! engine the run covers (SQLite always, PostgreSQL when
//! `TEST_POSTGRES_URL` is set), each time on a fresh app that the harness
//! starts and stops. The test is written as
//!
//! ```ignore
//! #[backend_test]
//! async fn another_partners_order_is_404(app: &TestApp) { … }
//! ```
//!
//! and needs `common::{backends, TestApp}` (the test crate's harness) in
//! scope at the crate root as `common`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, ItemFn};

#[proc_macro_attribute]
pub fn backend_test(args: TokenStream, item: TokenStream) -> TokenStream {
    if !args.is_empty() {
        let args = proc_macro2::TokenStream::from(args);
        return syn::Error::new_spanned(args, "backend_test takes no arguments")
            .to_compile_error()
            .into();
    }
    let mut test = parse_macro_input!(item as ItemFn);
    let attrs = std::mem::take(&mut test.attrs);
    let name = &test.sig.ident;
    quote! {
        #(#attrs)*
        #[::tokio::test]
        async fn #name() {
            #test
            for backend in crate::common::backends() {
                let app = crate::common::TestApp::start(backend).await;
                #name(&app).await;
                app.stop().await;
            }
        }
    }
    .into()
}
