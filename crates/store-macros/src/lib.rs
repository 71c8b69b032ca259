//! `#[derive(DirectRow)]`: decodes a row of the store's direct SQLite
//! transactions (a `rusqlite::Row`) into a struct, column by field name,
//! honouring the same `#[sqlx(rename = "…")]`, `#[sqlx(flatten)]` and
//! `#[sqlx(try_from = "…")]` attributes as `sqlx::FromRow`, so one struct
//! reads the same from both paths.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr};

#[proc_macro_derive(DirectRow, attributes(sqlx))]
pub fn derive_direct_row(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "DirectRow derives for structs only"));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(input, "DirectRow needs named fields"));
    };
    let mut inits = Vec::new();
    for field in &fields.named {
        let ident = field.ident.as_ref().expect("named field");
        let ty = &field.ty;
        let mut column = ident.to_string();
        let mut flatten = false;
        let mut try_from: Option<syn::Type> = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("sqlx")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    column = meta.value()?.parse::<LitStr>()?.value();
                    Ok(())
                } else if meta.path.is_ident("flatten") {
                    flatten = true;
                    Ok(())
                } else if meta.path.is_ident("try_from") {
                    try_from = Some(meta.value()?.parse::<LitStr>()?.parse()?);
                    Ok(())
                } else {
                    Err(meta.error("DirectRow knows only `rename`, `flatten` and `try_from`"))
                }
            })?;
        }
        inits.push(if flatten {
            quote! { #ident: <#ty as ::store::tx::DirectRow>::from_direct(row)? }
        } else if let Some(from) = try_from {
            // Read as the stored type, then convert; a value that does not
            // convert is a conversion failure of that column.
            quote! {
                #ident: {
                    let index = ::store::tx::column(row, &mut next, #column)?;
                    let stored = row.get::<_, #from>(index)?;
                    <#ty as ::std::convert::TryFrom<#from>>::try_from(stored).map_err(|e| {
                        ::store::rusqlite::Error::FromSqlConversionFailure(
                            index,
                            ::store::rusqlite::types::Type::Text,
                            ::std::boxed::Box::new(e),
                        )
                    })?
                }
            }
        } else {
            quote! { #ident: row.get::<_, #ty>(::store::tx::column(row, &mut next, #column)?)? }
        });
    }
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics ::store::tx::DirectRow for #name #ty_generics #where_clause {
            #[allow(unused_mut, unused_variables)]
            fn from_direct(row: &::store::rusqlite::Row<'_>) -> ::store::rusqlite::Result<Self> {
                let mut next = 0usize;
                ::std::result::Result::Ok(#name { #(#inits),* })
            }
        }
    })
}
