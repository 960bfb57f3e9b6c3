"""The REST API (`/api/v1`): aiohttp handlers over the core store and schemas."""
