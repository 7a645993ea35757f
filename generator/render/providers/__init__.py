"""One module per CI provider: the provider-neutral plan's conditions in that CI's syntax."""
