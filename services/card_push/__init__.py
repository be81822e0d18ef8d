"""Members' balance, points and level carried to the cards in their phones' card packages (WeChat's member card and
Alipay's member card): each change marks the member (one statement, in the change's own transaction), and a job
sends each marked member's totals as they are when it runs, many changes in one call."""
