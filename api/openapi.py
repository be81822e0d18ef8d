"""The API's OpenAPI 3.1 document, written by hand so every field and refusal is described in Chinese."""
import copy

from api import payloads
from models.coupons import VERIFY_METHODS
from services.merchant import api_keys

TITLE = "会员卡券开放接口"
VERSION = "1.0.0"
METHODS = ("get", "post", "put", "patch", "delete")


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# Each server process remembers a successful authentication this long (services/merchant/api_keys.py).
_REVOCATION_DELAY = f"吊销的密钥至多 {int(api_keys.CACHE_SECONDS)} 秒后在所有服务进程中失效"
_UNAUTHORIZED = {**_error(f"缺少、无效或已吊销的接口密钥（{_REVOCATION_DELAY}）"),
                 "headers": {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                                                  "description": 'Bearer realm="api"'}}}
_TOO_MANY_LOOKUPS = {**_error("查询失败次数过多"),
                     "headers": {"Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1},
                                                 "description": "多少秒后再试"}}}
# The 16 symbols of a code as a till may type it (api/payloads.py enforces the same pattern).
_CODE = {"type": "string", "maxLength": payloads.MAX_CODE_LENGTH, "pattern": payloads.CODE_PATTERN,
         "examples": ["ABCD 1234 EFGH 5678"],
         "description": "16 位券码或卡号（数字和字母，不含 U；O、I、L 按 0、1、1 读，不区分大小写），可用空格或短横线分组"}
_REQUEST_KEY = {"name": "Idempotency-Key", "in": "header", "required": True,
                "description": "本次请求的标识（可见 ASCII 字符），重试时使用同一个值",
                "schema": {"type": "string", "minLength": 1, "maxLength": payloads.MAX_REQUEST_KEY_LENGTH,
                           "pattern": "^[!-~]+$"}}
_VALIDATION = _error("参数不正确（缺少字段、类型错误、格式错误）")

SCHEMAS = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "机器可读的错误码，如 not_found、conflict、validation_error"},
                "message": {"type": "string", "description": "给收银员看的中文说明"},
                "details": {"type": "object", "additionalProperties": True,
                            "description": "补充信息，如已核销券的 used_at、used_by、used_store"},
            }}},
    },
    "Member": {
        "type": ["object", "null"], "required": ["id", "name", "mobile_masked"],
        "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]},
                       "mobile_masked": {"type": ["string", "null"], "examples": ["139****0001"]}},
    },
    "Lookup": {
        "type": "object",
        "required": ["kind", "kind_label", "id", "code", "title", "state", "state_label", "usable", "reason",
                     "member", "details", "take", "take_max"],
        "properties": {
            "kind": {"type": "string", "enum": ["coupon", "count_card", "timed_card", "gift_card", "benefit_card"]},
            "kind_label": {"type": "string"},
            "id": {"type": "integer"},
            "code": {"type": "string", "description": "16 位券码或卡号"},
            "title": {"type": "string"},
            "state": {"type": "string"},
            "state_label": {"type": "string"},
            "usable": {"type": "boolean", "description": "此时此店能否核销"},
            "reason": {"type": ["string", "null"], "description": "不能核销的原因；能核销时为 null"},
            "member": _ref("Member"),
            "details": {"type": "array", "items": {
                "type": "object", "required": ["label", "value"],
                "properties": {"label": {"type": "string"}, "value": {"type": "string"}}}},
            "take": {"type": ["string", "null"], "enum": [None, "uses", "amount"],
                     "description": "null 表示整张核销；uses 需提交 quantity（次）；amount 需提交 amount（分）"},
            "take_max": {"type": ["integer", "null"]},
        },
    },
    "VerificationRequest": {
        "type": "object", "required": ["code", "store_id"], "additionalProperties": False,
        "properties": {
            "code": _CODE,
            "store_id": {"type": "integer", "minimum": 1, "description": "核销门店"},
            "quantity": {"type": ["integer", "null"], "minimum": 1, "description": "次卡：本次扣减的次数"},
            "amount": {"type": ["integer", "null"], "minimum": 1, "description": "礼品卡：本次扣减的金额（分）"},
            "amount_received": {"type": ["integer", "null"], "minimum": 0, "default": 0,
                                "description": "本单实收金额（分）；null 同 0"},
        },
    },
    "Named": {
        "type": ["object", "null"], "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}},
    },
    "Verification": {
        "type": "object",
        "required": ["id", "instrument_type", "instrument_name", "code", "method", "store", "staff", "api_key",
                     "member_id", "quantity", "amount_taken", "amount_received", "created_at", "created_at_local",
                     "undone_at"],
        "properties": {
            "id": {"type": "integer"},
            "instrument_type": {"type": "string"},
            "instrument_name": {"type": "string"},
            "code": {"type": ["string", "null"]},
            "method": {"type": "string", "enum": list(VERIFY_METHODS)},
            "store": _ref("Named"),
            "staff": _ref("Named"),
            "api_key": _ref("Named"),
            "member_id": {"type": ["integer", "null"]},
            "quantity": {"type": ["integer", "null"]},
            "amount_taken": {"type": ["integer", "null"], "description": "分"},
            "amount_received": {"type": "integer", "description": "分"},
            "created_at": {"type": "string", "format": "date-time", "description": "UTC"},
            "created_at_local": {"type": "string", "format": "date-time", "description": "商户时区"},
            "undone_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "VerificationPage": {
        "type": "object", "required": ["data", "next_cursor"],
        "properties": {"data": {"type": "array", "items": _ref("Verification")},
                       "next_cursor": {"type": ["integer", "null"], "description": "下一页的 cursor；null 表示没有更多"}},
    },
    "CheckoutChoice": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "use_level": {"type": "boolean", "default": True, "description": "是否使用会员等级折扣"},
            "coupon_ids": {"type": ["array", "null"], "maxItems": 10, "items": {"type": "integer", "minimum": 1},
                           "description": "使用的优惠券 id（会员持有、此店此时可用）"},
            "points": {"type": ["integer", "null"], "minimum": 0, "default": 0, "description": "抵扣使用的积分"},
        },
    },
    "CheckoutRequest": {
        "type": "object", "required": ["store_id", "amount", "tender"], "additionalProperties": False,
        "properties": {
            "store_id": {"type": "integer", "minimum": 1, "description": "收银门店"},
            "member_id": {"type": ["integer", "null"], "minimum": 1, "description": "会员 id；不填为非会员，原价支付"},
            "amount": {"type": "integer", "minimum": 1, "description": "订单金额（分）"},
            "tender": {"type": "string", "enum": ["balance", "wechat", "alipay", "cash", "card"],
                       "description": "支付方式；balance 为储值余额（可享储值折上折）"},
            "choice": {"oneOf": [_ref("CheckoutChoice"), {"type": "null"}],
                       "description": "收银员选择的优惠组合；不填则自动选择对会员最优的组合"},
            "seed": {"type": ["string", "null"], "maxLength": 80,
                     "description": "本单标识（如收银系统的订单号）：报价与支付使用同一值时随机立减相同；不填则按门店、会员、金额和当日消费次数确定，重新报价不会重新抽取"},
            "note": {"type": ["string", "null"], "maxLength": 200, "description": "备注（支付时记录；报价时忽略）"},
            "auth_code": {"type": ["string", "null"], "maxLength": 32,
                          "description": "顾客的付款码（仅支付，tender 为 wechat 或 alipay）：微信 18 位数字以 10–15 开头，"
                                         "支付宝 16–24 位数字以 25–30 开头。填写时服务端向微信支付（付款码支付）或支付宝"
                                         "（当面付条码）扣款，顾客需输入密码时最多等待 30 秒，成功后才记录收银；不填则视为已在店内"
                                         "终端另行收取。扣款失败（付款码无效或过期、余额不足、超时未输密码）返回 409，"
                                         "请换一个新的 Idempotency-Key 重新收款。报价时只检查格式，不扣款"},
        },
    },
    "CheckoutStep": {
        "type": "object", "required": ["kind", "label", "amount", "detail"],
        "properties": {
            "kind": {"type": "string", "enum": ["level", "benefit", "balance", "points", "coupon", "random"]},
            "label": {"type": "string"}, "amount": {"type": "integer", "description": "本步优惠（分）"},
            "detail": {"type": "string", "description": "计算说明"},
        },
    },
    "CheckoutQuote": {
        "type": "object",
        "required": ["member", "level_name", "balance", "points", "amount", "pay", "discount", "steps", "choice",
                     "points_used", "coupon_ids", "options", "refusal", "balance_short", "points_to_earn"],
        "properties": {
            "member": _ref("Member"), "level_name": {"type": "string"},
            "balance": {"type": "integer", "description": "储值余额（本金 + 赠送，分）"},
            "points": {"type": "integer", "description": "积分余额"},
            "amount": {"type": "integer"}, "pay": {"type": "integer", "description": "应付（分）"},
            "discount": {"type": "integer"},
            "steps": {"type": "array", "items": _ref("CheckoutStep"), "description": "按固定顺序列出的每一步优惠"},
            "choice": _ref("CheckoutChoice"), "points_used": {"type": "integer"},
            "coupon_ids": {"type": "array", "items": {"type": "integer"}},
            "options": {"type": "array", "description": "可选的其他优惠组合", "items": {
                "type": "object", "required": ["choice", "pay", "description"],
                "properties": {"choice": _ref("CheckoutChoice"), "pay": {"type": "integer"},
                               "description": {"type": "string"}}}},
            "refusal": {"type": ["string", "null"], "description": "不能支付的原因（账户冻结、卡已挂失、会员停用）"},
            "balance_short": {"type": "integer", "description": "余额支付时还差的金额（分），0 表示足够"},
            "points_to_earn": {"type": "integer", "description": "支付后将获得的积分"},
        },
    },
    "Checkout": {
        "type": "object",
        "required": ["id", "member_id", "store", "source", "amount", "discount", "pay", "tender", "balance_paid",
                     "points_used", "points_earned", "coupon_code_ids", "steps", "state", "refunded_amount", "note",
                     "created_at", "created_at_local"],
        "properties": {
            "id": {"type": "integer"}, "member_id": {"type": ["integer", "null"]}, "store": _ref("Named"),
            "source": {"type": "string", "enum": ["staff", "api", "h5"]},
            "amount": {"type": "integer"}, "discount": {"type": "integer"}, "pay": {"type": "integer"},
            "tender": {"type": "string"}, "balance_paid": {"type": "integer", "description": "余额支付部分（分）"},
            "points_used": {"type": "integer"}, "points_earned": {"type": "integer"},
            "coupon_code_ids": {"type": "array", "items": {"type": "integer"}},
            "steps": {"type": "array", "items": _ref("CheckoutStep")},
            "state": {"type": "string", "enum": ["paid", "refunded"]},
            "refunded_amount": {"type": "integer"}, "note": {"type": ["string", "null"]},
            "channel_trade_no": {"type": ["string", "null"],
                                 "description": "付款码收款时微信支付或支付宝的交易号；其他方式为 null"},
            "created_at": {"type": "string", "format": "date-time"},
            "created_at_local": {"type": "string", "format": "date-time"},
        },
    },
}

PATHS = {
    "/codes/{code}": {"get": {
        "operationId": "lookupCode", "summary": "查询券码或卡号",
        "description": "返回它是什么、属于谁、此时此店能否核销。查询不存在的券码会计入失败次数，"
                       "每个密钥 10 分钟内失败 30 次后返回 429。",
        "parameters": [
            {"name": "code", "in": "path", "required": True, "schema": _CODE},
            {"name": "store_id", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}},
        ],
        "responses": {
            "200": _json("券或卡的情况", _ref("Lookup")),
            "401": _UNAUTHORIZED,
            "403": _error("该密钥不能在此门店使用，或门店已停用"),
            "404": _error("券码不存在（包括其他商户的券码）"),
            "422": _VALIDATION,
            "429": _TOO_MANY_LOOKUPS,
        },
    }},
    "/verifications": {
        "post": {
            "operationId": "createVerification", "summary": "核销",
            "description": "条件更新券或卡的状态：同一券码并发核销只有一次成功。用同一个 Idempotency-Key "
                           "重试同一请求返回同一条记录（200）；同一个键用于不同请求返回 409。",
            "parameters": [_REQUEST_KEY],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": _ref("VerificationRequest")}}},
            "responses": {
                "201": _json("已核销", _ref("Verification")),
                "200": _json("重复提交：返回第一次的记录", _ref("Verification")),
                "400": _error("请求体不是有效的 JSON"),
                "401": _UNAUTHORIZED,
                "403": _error("该密钥不能在此门店核销，或此券不适用于此门店"),
                "404": _error("券码或门店不存在"),
                "409": _error("已被使用（details 中有核销时间、核销人、门店）、不可用，或幂等键已用于另一请求"),
                "413": _error("请求内容过大"),
                "422": _VALIDATION,
                "429": _TOO_MANY_LOOKUPS,
            },
        },
        "get": {
            "operationId": "listVerifications", "summary": "核销记录",
            "description": "按 id 倒序分页；日期按商户时区。限定门店的密钥只能看到这些门店的记录。",
            "parameters": [
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "store_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                                             "default": 50}},
            ],
            "responses": {
                "200": _json("一页记录", _ref("VerificationPage")),
                "401": _UNAUTHORIZED,
                "403": _error("该密钥不能查看此门店"),
                "404": _error("门店不存在"),
                "422": _VALIDATION,
            },
        },
    },
    "/checkout/quote": {"post": {
        "operationId": "quoteCheckout", "summary": "收银报价",
        "description": "按商户的优惠规则计算会员应付金额（等级折扣 → 权益卡 → 储值折上折 → 积分抵扣 → 优惠券 → 随机立减），"
                       "列出每一步和其他可选组合。不改变任何数据。",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CheckoutRequest")}}},
        "responses": {
            "200": _json("报价", _ref("CheckoutQuote")),
            "400": _error("请求体不是有效的 JSON"),
            "401": _UNAUTHORIZED,
            "403": _error("该密钥不能在此门店收银，或门店已停用"),
            "404": _error("门店或会员不存在（包括其他商户的会员）"),
            "422": _error("参数不正确，或所选优惠组合无效（如优惠券不可用、积分超出上限）"),
        },
    }},
    "/checkout/pay": {"post": {
        "operationId": "payCheckout", "summary": "收银支付",
        "description": "在服务端重新计价并在同一事务中核销优惠券、扣积分、扣余额、赠积分。用同一个 Idempotency-Key "
                       "重试返回同一笔收银（200）；同一个键用于不同请求返回 409。余额不足时返回 409，details.short "
                       "为还差的金额，可改用其他支付方式。",
        "parameters": [_REQUEST_KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CheckoutRequest")}}},
        "responses": {
            "201": _json("已支付", _ref("Checkout")),
            "200": _json("重复提交：返回第一次的收银记录", _ref("Checkout")),
            "400": _error("请求体不是有效的 JSON"),
            "401": _UNAUTHORIZED,
            "403": _error("该密钥不能在此门店收银，或门店已停用"),
            "404": _error("门店或会员不存在"),
            "409": _error("余额不足、账户冻结、卡已挂失、会员停用、优惠券已被使用、付款码扣款失败（details 无；"
                          "message 说明原因，已扣的款项已撤销），或幂等键已用于另一请求"),
            "422": _error("参数不正确，或所选优惠组合无效"),
        },
    }},
    "/checkouts/{id}": {"get": {
        "operationId": "getCheckout", "summary": "收银记录",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {
            "200": _json("收银记录", _ref("Checkout")),
            "401": _UNAUTHORIZED,
            "403": _error("该密钥不能查看此门店的记录"),
            "404": _error("记录不存在（包括其他商户的记录）"),
        },
    }},
    "/openapi.json": {"get": {
        "operationId": "openapiDocument", "summary": "本文档（OpenAPI 3.1）", "security": [],
        "responses": {"200": _json("OpenAPI 文档", {"type": "object"})},
    }},
    "/docs": {"get": {
        "operationId": "docs", "summary": "接口说明页面", "security": [],
        "responses": {"200": {"description": "HTML 页面", "content": {"text/html": {"schema": {"type": "string"}}}}},
    }},
}


def document():
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "供自有收银系统的门店查询和核销券码、卡号，为会员收银（报价、支付），并拉取记录。金额单位为分。"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": copy.deepcopy(PATHS),
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "后台「开放接口」中创建的密钥，形如 mk_xxxxxxxx_..."
                                                              f"；{_REVOCATION_DELAY}"}},
        },
    }


def operations():
    """[(METHOD, path, operation)] in document order, for the HTML page."""
    return [(method.upper(), path, operation) for path, item in PATHS.items()
            for method, operation in item.items() if method in METHODS]
