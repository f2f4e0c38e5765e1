"""The journal's MkDocs plugin (`plugin`) and the modules its events hand over to."""
