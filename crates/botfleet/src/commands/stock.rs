//! `/stock` and `!stock`: what the shop has. Without an argument, the visible catalogue ten
//! products a page with ◀ / ▶ buttons (`stock:page:<n>`; a press replaces the message with that
//! page); with one (`/stock product:<name or SKU>`, `!stock green tea`), that product. The
//! `product` option autocompletes over the visible products. Hidden products are never shown.

use std::sync::Arc;

use twilight_model::application::command::{CommandOption, CommandOptionType};

use super::{Answer, Choice, Choices, Command, CommandError, Context, Reply, MAX_CHOICES};
use crate::stock::{display, Product};

/// The catalogue command.
pub struct Stock;

/// The option naming one product.
const OPTION: &str = "product";

async fn visible(ctx: &Context) -> Result<Arc<[Product]>, CommandError> {
    let unavailable = || CommandError::Failed("the catalogue could not be read".into());
    let cache = ctx.stock.as_ref().ok_or_else(unavailable)?;
    cache.visible().await.map_err(|e| {
        tracing::warn!(error = %e, "reading the catalogue for /stock failed");
        unavailable()
    })
}

fn page(products: &[Product], n: usize) -> Reply {
    let (embed, components) = display::page(products, n);
    Reply { embeds: vec![embed], components, ..Reply::default() }
}

/// The product `query` names: its SKU or name exactly, else the only one whose name or SKU
/// contains it; otherwise a list of the candidates, or "nothing matches".
fn find(products: &[Product], query: &str) -> Reply {
    let q = query.trim().to_lowercase();
    let exact = products.iter().find(|p| p.sku.to_lowercase() == q || p.name.to_lowercase() == q);
    let matches: Vec<&Product> = match exact {
        Some(p) => vec![p],
        None => products
            .iter()
            .filter(|p| p.sku.to_lowercase().contains(&q) || p.name.to_lowercase().contains(&q))
            .collect(),
    };
    let shown: String = display::escape(&query.trim().chars().take(100).collect::<String>());
    match matches.as_slice() {
        [] => Reply::text(format!("No product matches \u{201c}{shown}\u{201d}. Try `/stock` to see them all.")),
        [one] => Reply { embeds: vec![display::product(one)], ..Reply::default() },
        many => {
            let mut lines: Vec<String> = many.iter().take(display::PAGE_SIZE).map(|p| display::line(p)).collect();
            if many.len() > display::PAGE_SIZE {
                lines.push(format!("… and {} more", many.len() - display::PAGE_SIZE));
            }
            let text = format!(
                "{} products match \u{201c}{shown}\u{201d}; name one by its SKU:\n{}",
                many.len(),
                lines.join("\n")
            );
            Reply::text(text.chars().take(2000).collect::<String>())
        }
    }
}

/// Up to 25 visible products whose name or SKU contains `typed`, those starting with it first.
fn suggest(products: &[Product], typed: &str) -> Vec<Choice> {
    let q = typed.trim().to_lowercase();
    let (mut starts, mut contains) = (Vec::new(), Vec::new());
    for p in products {
        let (name, sku) = (p.name.to_lowercase(), p.sku.to_lowercase());
        if name.starts_with(&q) || sku.starts_with(&q) {
            starts.push(p);
        } else if name.contains(&q) || sku.contains(&q) {
            contains.push(p);
        }
        if starts.len() >= MAX_CHOICES {
            break;
        }
    }
    starts
        .into_iter()
        .chain(contains)
        .take(MAX_CHOICES)
        .map(|p| {
            let label = format!("{} ({}) — {}", p.name, p.sku, display::stock_words(p));
            Choice { name: label.chars().take(100).collect(), value: p.sku.clone() }
        })
        .collect()
}

impl Command for Stock {
    fn name(&self) -> &'static str {
        "stock"
    }

    fn description(&self) -> &'static str {
        "See what is in stock, or one product by name or SKU"
    }

    fn options(&self) -> Vec<CommandOption> {
        vec![CommandOption {
            autocomplete: Some(true),
            channel_types: None,
            choices: None,
            description: "A product's name or SKU".to_owned(),
            description_localizations: None,
            kind: CommandOptionType::String,
            max_length: Some(100),
            max_value: None,
            min_length: None,
            min_value: None,
            name: OPTION.to_owned(),
            name_localizations: None,
            options: None,
            file_types: None,
            required: Some(false),
        }]
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> Answer<'a> {
        Box::pin(async move {
            let products = visible(ctx).await?;
            Ok(if ctx.args.trim().is_empty() { page(&products, 1) } else { find(&products, &ctx.args) })
        })
    }

    fn component<'a>(&'a self, ctx: &'a Context, custom_id: &'a str) -> Answer<'a> {
        Box::pin(async move {
            let n = display::page_of(custom_id)
                .ok_or_else(|| CommandError::Failed(format!("the button {custom_id:?} does nothing")))?;
            Ok(page(&visible(ctx).await?, n))
        })
    }

    fn autocomplete<'a>(&'a self, ctx: &'a Context, option: &'a str, typed: &'a str) -> Choices<'a> {
        Box::pin(async move {
            if option != OPTION {
                return vec![];
            }
            visible(ctx).await.map(|products| suggest(&products, typed)).unwrap_or_default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(i: usize, name: &str) -> Product {
        Product {
            id: i as i64,
            sku: format!("SKU-{i}"),
            name: name.into(),
            description: String::new(),
            price_minor: 450,
            currency: "EUR".into(),
            stock: 7,
            low_stock_threshold: 5,
            visible: true,
            sort_order: 0,
            version: 1,
            availability: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn one_product_by_sku_or_name_or_a_list_of_candidates() {
        let products = vec![product(1, "Green Tea"), product(2, "Black Tea"), product(3, "Coffee")];
        assert_eq!(find(&products, "sku-3").embeds[0].title.as_deref(), Some("Coffee"));
        assert_eq!(find(&products, " green tea ").embeds[0].title.as_deref(), Some("Green Tea"));
        assert_eq!(find(&products, "coff").embeds[0].title.as_deref(), Some("Coffee"));
        assert!(find(&products, "tea").content.starts_with("2 products match"));
        assert!(find(&products, "cocoa").content.starts_with("No product matches"));
    }

    #[test]
    fn autocomplete_gives_at_most_25_prefix_matches_first() {
        let mut products: Vec<Product> = (0..60).map(|i| product(i, &format!("Tea no. {i}"))).collect();
        products.push(product(99, "Apple"));
        assert_eq!(suggest(&products, "").len(), 25);
        assert_eq!(suggest(&products, "tea").len(), 25);
        let apple = suggest(&products, "app");
        assert_eq!((apple.len(), apple[0].value.as_str()), (1, "SKU-99"));
        assert_eq!(suggest(&products, "pl")[0].value, "SKU-99", "contains, too");
    }
}
