"""The offline sandbox: one aiohttp server that speaks Fishjam's and VAPI's protocols."""
