"""The journal's MkDocs glue: `hooks` dispatches MkDocs events to the modules here."""
