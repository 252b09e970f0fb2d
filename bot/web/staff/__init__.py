"""The staff pages under /staff/ (server-rendered, Danish first). bot.web.staff.mount wires them.

Kept free of imports so bot.web.templates can import bot.web.staff.csrf without a cycle.
"""
