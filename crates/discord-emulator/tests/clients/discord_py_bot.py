"""A minimal, unmodified discord.py bot that tests/discord_py.rs runs against the emulator.

It proves an independent client library in another language connects to the emulator's gateway,
receives MESSAGE_CREATE and replies over REST. The only changes from talking to discord.com are
the two base URLs below.

Environment: EMULATOR_API_URL (http://127.0.0.1:PORT/api/v10), EMULATOR_GATEWAY_URL
(ws://127.0.0.1:PORT), BOT_TOKEN, and optionally DISCORD_PY_LOG_LEVEL (INFO; DEBUG logs every
gateway payload). Prints READY once connected; replies "pong from discord.py" to "!ping" in a
guild channel; exits cleanly on SIGTERM.
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

intents = discord.Intents.default()
intents.message_content = True
client = discord.Client(intents=intents)


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
