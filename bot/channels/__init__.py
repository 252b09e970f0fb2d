"""Chat channels: each one converts its platform's payloads to and from Rasa's REST channel.

- webchat/    the web widget and its proxy on our web service
- telegram/   a Telegram bot bridge, run as its own process (`python -m bot.channels.telegram`)

A channel never knows about conversations or outcomes; that is Rasa's and the actions' business.
"""
