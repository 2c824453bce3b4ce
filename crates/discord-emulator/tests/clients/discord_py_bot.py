"""A minimal, unmodified discord.py bot that tests/discord_py.rs runs against the emulator.

It proves an independent client library in another language connects to the emulator's gateway,
receives MESSAGE_CREATE and INTERACTION_CREATE and answers over REST. The only changes from
talking to discord.com are the two base URLs below.

Environment: EMULATOR_API_URL (http://127.0.0.1:PORT/api/v10), EMULATOR_GATEWAY_URL
(ws://127.0.0.1:PORT), BOT_TOKEN, and optionally DISCORD_PY_LOG_LEVEL (INFO; DEBUG logs every
gateway payload). It registers the global slash command /ping (CommandTree.sync) before
connecting and prints READY once connected. It replies "pong from discord.py" to "!ping" in a
guild channel; answers /ping with interaction.response.send_message("pong from discord.py slash")
carrying a "Next" button (custom_id "next"), and a press of that button with
interaction.response.edit_message("page 2 from discord.py", no buttons). It exits cleanly on
SIGTERM. Every error discord.py meets is logged at ERROR (its default on_error handlers), which
the Rust test fails on.
"""

import asyncio
import logging
import os
import signal
import sys

import discord
import discord.gateway
import discord.http
import yarl

API_URL = os.environ["EMULATOR_API_URL"]
GATEWAY_URL = os.environ["EMULATOR_GATEWAY_URL"]
TOKEN = os.environ["BOT_TOKEN"]

# Every REST call is built as Route.BASE + path.
discord.http.Route.BASE = API_URL
# A non-sharded Client connects straight to DEFAULT_GATEWAY (it does not ask GET /gateway/bot);
# resumes use the resume_gateway_url the emulator sends in READY.
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(GATEWAY_URL)

# Client.start (unlike Client.run) sets up no logging: send discord.py's log to stderr, which the
# Rust test shows when it fails (plain text: discord.py colours it inside containers).
discord.utils.setup_logging(
    level=os.environ.get("DISCORD_PY_LOG_LEVEL", "INFO"),
    formatter=logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"),
)

SLASH_REPLY = "pong from discord.py slash"
EDITED_REPLY = "page 2 from discord.py"


class Pages(discord.ui.View):
    """The buttons under the slash reply; discord.py routes a press to it by the message id it
    read from the callback response (`?with_response=1`)."""

    def __init__(self) -> None:
        super().__init__(timeout=300)

    @discord.ui.button(label="Next", custom_id="next", style=discord.ButtonStyle.primary)
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        response = await interaction.response.edit_message(content=EDITED_REPLY, view=None)
        print(f"EDITED {response.message_id if response else None}", flush=True)


class Bot(discord.Client):
    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(intents=intents)
        self.tree = discord.app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        # PUT /applications/{id}/commands, as a bot does once at start.
        await self.tree.sync()


client = Bot()


@client.tree.command(name="ping", description="Replies with pong")
async def ping(interaction: discord.Interaction) -> None:
    response = await interaction.response.send_message(SLASH_REPLY, view=Pages())
    print(f"SLASH {response.message_id}", flush=True)


@client.event
async def on_ready() -> None:
    print("READY", flush=True)


@client.event
async def on_message(message: discord.Message) -> None:
    if message.author.bot or message.guild is None:
        return
    if message.content == "!ping":
        await message.channel.send("pong from discord.py")


async def main() -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(TOKEN))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            # The client ended by itself: surface its error (login failure, fatal close code).
            runner.result()
            return
        await client.close()
        await runner


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
