"""The forms a unit signs, as Vietnamese PDFs carrying their XML declaration.

`forms` says what each form contains, `xml_declaration` builds the machine-readable
declaration, `render` lays both out as one PDF (the XML embedded as a file, so one signature
covers both). Nothing here knows about HTTP or the database.
"""
