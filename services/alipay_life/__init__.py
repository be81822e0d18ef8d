"""The merchant's Alipay life account (生活号): its settings (on/off, the notices it sends and their template ids),
who can be reached through it (members with an Alipay identity), and the notice a member who uses Alipay only gets
there. The template notices' records and job are services/wechat/notices.py (one NoticeDelivery per change, with
its channel); a send's life-account batch is services/outreach/alipay_batch.py."""
