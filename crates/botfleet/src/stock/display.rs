//! How products look on Discord, in one place for the stock message and for `/stock`: one line per
//! product (name, SKU, price, stock, with low and out of stock said in words), a catalogue split
//! into embeds that each stay inside Discord's limits, pages of ten with ◀ / ▶ buttons, and one
//! product on its own.

use std::fmt::Write;

use twilight_model::channel::message::component::{ActionRow, Button, ButtonStyle};
use twilight_model::channel::message::embed::EmbedFooter;
use twilight_model::channel::message::{Component, Embed};

use super::Product;

/// Discord's limit on an embed's description (characters).
pub const DESCRIPTION_LIMIT: usize = 4096;
/// Discord's limit on all the text of a message's embeds (characters).
pub const EMBED_TOTAL_LIMIT: usize = 6000;
/// Products per `/stock` page.
pub const PAGE_SIZE: usize = 10;
/// The prefix of `/stock`'s button ids: `stock:page:<n>`.
pub const PAGE_BUTTON: &str = "stock:page:";

/// Room kept under each limit (Discord and libraries count some characters differently).
const MARGIN: usize = 64;
const TITLE: &str = "🛒 Stock";
const GREEN: u32 = 0x2e_cc_71;

/// Currencies without minor units (ISO 4217 exponent 0).
const NO_DECIMALS: &[&str] =
    &["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"];

/// `19.99 EUR` (or `500 JPY`).
pub fn price(minor: i64, currency: &str) -> String {
    if NO_DECIMALS.contains(&currency) {
        return format!("{minor} {currency}");
    }
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
}

/// The stock in words: `12 in stock`, `⚠️ low stock: 3 left`, `❌ out of stock`.
pub fn stock_words(p: &Product) -> String {
    match super::model::availability(p.stock, p.low_stock_threshold) {
        "out" => "❌ out of stock".to_owned(),
        "low" => format!("⚠️ low stock: {} left", p.stock),
        _ => format!("{} in stock", p.stock),
    }
}

/// Text as Discord shows it literally (no bold, links or code from a product's name).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '~' | '|' | '`' | '[' | ']' | '<' | '>') {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// One product on one line.
pub fn line(p: &Product) -> String {
    format!("**{}** `{}` · {} · {}", escape(&p.name), p.sku, price(p.price_minor, &p.currency), stock_words(p))
}

fn embed(title: Option<String>, description: String, footer: Option<String>) -> Embed {
    Embed {
        author: None,
        color: Some(GREEN),
        description: Some(description),
        fields: vec![],
        flags: None,
        footer: footer.map(|text| EmbedFooter { icon_url: None, proxy_icon_url: None, text }),
        image: None,
        kind: "rich".to_owned(),
        provider: None,
        thumbnail: None,
        timestamp: None,
        title,
        url: None,
        video: None,
    }
}

/// Characters of an embed that count towards Discord's 6,000.
pub fn embed_chars(e: &Embed) -> usize {
    let n = |s: &Option<String>| s.as_deref().map_or(0, |s| s.chars().count());
    n(&e.title)
        + n(&e.description)
        + e.footer.as_ref().map_or(0, |f| f.text.chars().count())
        + e.fields.iter().map(|f| f.name.chars().count() + f.value.chars().count()).sum::<usize>()
}

/// The visible catalogue as the stock message shows it: one embed per message, as many as needed
/// (never fewer than one). Lines fill an embed up to the description limit; the first embed has
/// the title, the last the footer.
pub fn catalogue_embeds(visible: &[Product]) -> Vec<Embed> {
    let footer = format!("{} products · updated live · ⚠️ low stock · ❌ out of stock", visible.len());
    let budget = (DESCRIPTION_LIMIT - MARGIN).min(EMBED_TOTAL_LIMIT - MARGIN - TITLE.len() - footer.chars().count());
    let mut pages: Vec<String> = vec![String::new()];
    for p in visible {
        let line = line(p);
        let Some(current) = pages.last_mut() else { break };
        let used = current.chars().count();
        if used > 0 && used + 1 + line.chars().count() > budget {
            pages.push(line);
        } else {
            if used > 0 {
                current.push('\n');
            }
            current.push_str(&line);
        }
    }
    if visible.is_empty() {
        pages[0] = "Nothing to show right now.".to_owned();
    }
    let last = pages.len() - 1;
    pages
        .into_iter()
        .enumerate()
        .map(|(i, text)| embed((i == 0).then(|| TITLE.to_owned()), text, (i == last).then(|| footer.clone())))
        .collect()
}

/// How many `/stock` pages a catalogue has (at least one).
pub fn page_count(products: usize) -> usize {
    products.div_ceil(PAGE_SIZE).max(1)
}

/// Page `page` (1-based, clamped) of the catalogue, with ◀ / ▶ buttons when there is more than one.
pub fn page(visible: &[Product], page: usize) -> (Embed, Vec<Component>) {
    let pages = page_count(visible.len());
    let page = page.clamp(1, pages);
    let mut text = String::new();
    for p in visible.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE) {
        let _ = writeln!(text, "{}", line(p));
    }
    if visible.is_empty() {
        text.push_str("Nothing to show right now.");
    }
    let footer = format!("{} products · /stock product:<name or SKU> shows one", visible.len());
    let embed = embed(Some(format!("{TITLE} — page {page} of {pages}")), text, Some(footer));
    if pages == 1 {
        return (embed, vec![]);
    }
    let button = |label: &str, to: usize, disabled: bool| {
        Component::Button(Button {
            custom_id: Some(format!("{PAGE_BUTTON}{to}")),
            disabled,
            emoji: None,
            id: None,
            label: Some(label.to_owned()),
            sku_id: None,
            style: ButtonStyle::Secondary,
            url: None,
        })
    };
    let row = Component::ActionRow(ActionRow {
        components: vec![button("◀ Previous", page - 1, page == 1), button("Next ▶", page + 1, page == pages)],
        id: None,
    });
    (embed, vec![row])
}

/// The page a `stock:page:<n>` button asks for.
pub fn page_of(custom_id: &str) -> Option<usize> {
    custom_id.strip_prefix(PAGE_BUTTON)?.parse().ok()
}

/// One product on its own.
pub fn product(p: &Product) -> Embed {
    let mut text = String::new();
    if !p.description.is_empty() {
        let description: String = p.description.chars().take(1000).collect();
        let _ = writeln!(text, "{}\n", escape(&description));
    }
    let _ = writeln!(text, "**Price:** {}", price(p.price_minor, &p.currency));
    let _ = writeln!(text, "**Stock:** {}", stock_words(p));
    let _ = write!(text, "**SKU:** `{}`", p.sku);
    embed(Some(p.name.clone()), text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn product_named(i: usize, stock: i64) -> Product {
        Product {
            id: i as i64,
            sku: format!("SKU-{i:04}"),
            name: format!("Product number {i} with a fairly long name"),
            description: String::new(),
            price_minor: 1999,
            currency: "EUR".into(),
            stock,
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
    fn lines_say_low_and_out_of_stock_in_words_and_escape_names() {
        let mut p = product_named(1, 12);
        assert_eq!(line(&p), "**Product number 1 with a fairly long name** `SKU-0001` · 19.99 EUR · 12 in stock");
        p.stock = 3;
        assert!(line(&p).ends_with("⚠️ low stock: 3 left"));
        p.stock = 0;
        assert!(line(&p).ends_with("❌ out of stock"));
        p.name = "*bold* [link](x)".into();
        assert!(line(&p).starts_with(r"**\*bold\* \[link\](x)**"));
        assert_eq!(price(500, "JPY"), "500 JPY");
        assert_eq!(price(5, "USD"), "0.05 USD");
    }

    #[test]
    fn a_large_catalogue_spans_several_embeds_each_inside_the_limits() {
        let products: Vec<Product> = (0..300).map(|i| product_named(i, i as i64 % 20)).collect();
        let embeds = catalogue_embeds(&products);
        assert!(embeds.len() > 1, "{} embeds", embeds.len());
        let mut lines = 0;
        for e in &embeds {
            let d = e.description.as_deref().unwrap();
            assert!(d.chars().count() <= DESCRIPTION_LIMIT && embed_chars(e) <= EMBED_TOTAL_LIMIT);
            lines += d.lines().count();
        }
        assert_eq!(lines, 300, "every product once");
        assert_eq!(catalogue_embeds(&[]).len(), 1);
    }

    #[test]
    fn pages_have_buttons_that_name_their_page() {
        let products: Vec<Product> = (0..25).map(|i| product_named(i, 9)).collect();
        let (embed, buttons) = page(&products, 2);
        assert_eq!(embed.title.as_deref(), Some("🛒 Stock — page 2 of 3"));
        assert_eq!(embed.description.unwrap().lines().count(), 10);
        let Component::ActionRow(row) = &buttons[0] else { panic!("a row") };
        let ids: Vec<_> = row
            .components
            .iter()
            .map(|c| if let Component::Button(b) = c { b.custom_id.clone() } else { None })
            .collect();
        assert_eq!(ids, [Some("stock:page:1".to_owned()), Some("stock:page:3".to_owned())]);
        assert_eq!(page_of("stock:page:3"), Some(3));
        assert_eq!(page(&products, 99).0.title.as_deref(), Some("🛒 Stock — page 3 of 3"), "clamped");
        assert!(page(&products[..3], 1).1.is_empty(), "one page, no buttons");
    }
}
