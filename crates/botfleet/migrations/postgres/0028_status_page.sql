-- The public status page (issue 25): off until an admin turns it on. One row holds the page's
-- settings (its title, whether it is served, and the version a change names, as other settings
-- do); status_page_bots lists the bots it shows, in order, each with an optional public label
-- (NULL: the bot's name). A bot deleted leaves the page with it.
CREATE TABLE status_page (
    id         BIGINT  NOT NULL PRIMARY KEY CHECK (id = 1),
    enabled    BIGINT  NOT NULL,
    title      TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
INSERT INTO status_page (id, enabled, title, version, updated_at) VALUES (1, 0, 'Service status', 1, 0);
CREATE TABLE status_page_bots (
    bot_id   BIGINT NOT NULL PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,
    label    TEXT,
    position BIGINT NOT NULL
);
