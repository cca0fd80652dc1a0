from chat.consumers.agent import AgentConversationConsumer, InboxConsumer
from chat.consumers.visitor import VisitorConsumer

__all__ = ["AgentConversationConsumer", "InboxConsumer", "VisitorConsumer"]
