"""Bundled real market data (see README.md); read by `app.services.market_data.providers.BundledProvider`."""
