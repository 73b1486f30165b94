"""The broker's HTTP side: app factory, sign-in, launch, extension API, pages."""
