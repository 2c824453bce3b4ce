-- The shop's products and their stock. Prices in minor units (cents) with an ISO 4217 currency;
-- visible is 0/1; version counts every change (optimistic concurrency for edits and "set").
CREATE TABLE products (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    sku                 TEXT    NOT NULL UNIQUE,
    name                TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    price_minor         BIGINT  NOT NULL,
    currency            TEXT    NOT NULL,
    stock               BIGINT  NOT NULL CHECK (stock >= 0),
    low_stock_threshold BIGINT  NOT NULL,
    visible             BIGINT  NOT NULL,
    sort_order          BIGINT  NOT NULL,
    version             BIGINT  NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX products_order ON products (sort_order, name);
